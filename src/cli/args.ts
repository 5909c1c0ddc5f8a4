// A thin wrapper on node:util parseArgs so every command refuses unknown flags the same way, and the
// one error type a command throws for a failure it expected (main.ts prints its one sentence).
import { readFileSync } from 'node:fs'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { EXIT, type ExitCode } from './exit-codes.js'
import { errnoReason } from './errno.js'

/** An expected failure: one sentence that names the file, option, key or port and says what to do. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: ExitCode = EXIT.USAGE) {
    super(message)
  }
}

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true })
  } catch (err) {
    throw new CliError(`${(err as Error).message} (see --help)`)
  }
}

/** Reads a file named on the command line (`what` says by which option); unreadable: a usage error naming it. */
export function readInputFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw new CliError(`cannot read ${file} (${what}): ${errnoReason(err)}; check the path.`)
  }
}
