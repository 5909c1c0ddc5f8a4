// A thin wrapper on node:util parseArgs so every command refuses unknown flags the same way.
import { parseArgs, type ParseArgsConfig } from 'node:util'

export class CliError extends Error {}

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true })
  } catch (err) {
    throw new CliError(`${(err as Error).message} (see --help)`)
  }
}
