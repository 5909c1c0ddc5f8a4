#!/usr/bin/env node
// The edge (house style §1): argv → a command; exit codes (cli/exit-codes.ts) are decided here and
// nowhere below. A failure is one sentence (cli/failure.ts); a stack trace only with --debug.
import { commands, usage } from './cli/commands.js'
import { EXIT } from './cli/exit-codes.js'
import { explainFailure } from './cli/failure.js'

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return name ? EXIT.OK : EXIT.USAGE
  }
  if (name === '--version' || name === '-v') {
    const { VERSION } = await import('./version.js')
    process.stdout.write(`saraban-node ${VERSION}\n`)
    return EXIT.OK
  }
  const command = commands[name]
  if (!command) {
    process.stderr.write(`saraban-node: unknown command "${name}"\n\n${usage()}`)
    return EXIT.USAGE
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help)
    return EXIT.OK
  }
  return command.run(rest)
}

// --debug is the edge's own flag, anywhere on the line: taken out before a command parses its options.
const argv = process.argv.slice(2)
const debug = argv.includes('--debug')

main(argv.filter((a) => a !== '--debug')).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    const { exitCode, lines } = explainFailure(err)
    process.stderr.write(lines.map((l, i) => (i === 0 ? `saraban-node: ${l}\n` : `${l}\n`)).join(''))
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`)
    process.exitCode = exitCode
  },
)
