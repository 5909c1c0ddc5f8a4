#!/usr/bin/env node
// The edge (house style §1): argv → a command; exit codes are decided here and nowhere below.
import { commands, usage } from './cli/commands.js'
import { CliError } from './cli/args.js'
import { isSarabanError } from './errors.js'

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return name ? 0 : 2
  }
  if (name === '--version' || name === '-v') {
    const { VERSION } = await import('./version.js')
    process.stdout.write(`saraban-node ${VERSION}\n`)
    return 0
  }
  const command = commands[name]
  if (!command) {
    process.stderr.write(`saraban-node: unknown command "${name}"\n\n${usage()}`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help)
    return 0
  }
  return command.run(rest)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`saraban-node: ${err.message}\n`)
      process.exitCode = 2
    } else if (isSarabanError(err)) {
      process.stderr.write(`saraban-node: ${err.code}: ${err.message}\n`)
      for (const e of err.errors ?? []) process.stderr.write(`  ${e.field}: ${e.message}\n`)
      process.exitCode = 1
    } else {
      process.stderr.write(`saraban-node: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
      process.exitCode = 1
    }
  },
)
