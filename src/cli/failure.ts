// How main.ts turns a failure into one sentence and an exit code (issue 21 §2): expected failures
// (CliError, SarabanError, the operating system's errors about a file or a port) say what happened
// to what and what to do; anything else is a bug, reported with its message and, with --debug, its stack.
import { isSarabanError, type SarabanError } from '../errors.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import { CliError } from './args.js'
import { errno, errnoReason, isKnownErrno, networkFailure } from './errno.js'
import { DatabaseOpenError } from '../storage/postgresql/open-error.js'

export interface Explained {
  readonly exitCode: ExitCode
  readonly lines: string[]
}

/** A SarabanError: its code and sentence; a list of problems (configuration) once each, not repeated. */
function explainSaraban(err: SarabanError): Explained {
  const exitCode = err.code === 'ERR_CONFIG_INVALID' ? EXIT.CONFIG : EXIT.FAILED
  const problems = err.errors ?? []
  if (problems.length <= 1) return { exitCode, lines: [`${err.code}: ${err.message}`] }
  // schema/registry.ts invalid(): "<head>: <first field> <first message> (and N more)"; print the head and the list.
  const first = problems[0]!
  const tail = `: ${first.field === '' ? '(root)' : first.field} ${first.message} (and ${problems.length - 1} more)`
  const head = err.message.endsWith(tail) ? err.message.slice(0, -tail.length) : err.message
  return { exitCode, lines: [`${err.code}: ${head}:`, ...problems.map((p) => `  ${p.field === '' ? '(root)' : p.field}: ${p.message}`)] }
}

export function explainFailure(err: unknown): Explained {
  if (err instanceof CliError) return { exitCode: err.exitCode, lines: [err.message] }
  if (isSarabanError(err)) return explainSaraban(err)
  if (err instanceof DatabaseOpenError) return { exitCode: err.unreachable ? EXIT.UNAVAILABLE : EXIT.FAILED, lines: [err.message] }
  const e = errno(err)
  if (e.code === 'EADDRINUSE' || (e.code === 'EACCES' && e.syscall === 'listen')) {
    return { exitCode: EXIT.UNAVAILABLE, lines: [`cannot listen on ${e.address ?? ''}:${e.port ?? ''} (${errnoReason(err)}): stop the program that uses it or choose another port.`] }
  }
  if (e.path !== undefined && isKnownErrno(e.code)) {
    return { exitCode: EXIT.USAGE, lines: [`cannot ${e.syscall === 'open' || e.syscall === undefined ? 'read' : e.syscall} ${e.path}: ${errnoReason(err)}; check the path.`] }
  }
  const network = networkFailure(err)
  if (network !== undefined) return { exitCode: EXIT.UNAVAILABLE, lines: [`the node cannot be reached (${network}); check the address and that the node runs.`] }
  const message = err instanceof Error ? err.message : String(err)
  return { exitCode: EXIT.FAILED, lines: [`unexpected error: ${message} (run again with --debug for the stack trace, and report it)`] }
}
