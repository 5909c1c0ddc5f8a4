// The exit codes of every command (issue 21 §2), decided in main.ts and nowhere below. The classified
// commands use the same numbers (classified/common.ts). README "Exit codes and errors" lists them.
export const EXIT = {
  /** the command did what was asked */
  OK: 0,
  /** it ran and the answer is no: a check failed, the node refused, or an unexpected error */
  FAILED: 1,
  /** usage: an unknown command, a missing or wrong option, a file named on the command line that cannot be read */
  USAGE: 2,
  /** unavailable: a node cannot be reached, or a port to listen on is taken */
  UNAVAILABLE: 3,
  /** configuration: the config file, or a key, certificate, passphrase or trust file it names */
  CONFIG: 4,
  /** warnings only: `doctor` found nothing that fails, but something to look at (issue 17 item 7) */
  WARNINGS: 5,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export const EXIT_CODES_HELP = `Exit codes (every command):
  0  done
  1  failed: a check failed or the node refused; or an unexpected error (--debug shows its stack)
  2  usage: unknown command, missing or wrong option, a file named on the command line is unreadable
  3  unavailable: the node cannot be reached, or a port to listen on is in use
  4  configuration: the config file, or a key, certificate, passphrase or trust file it names
  5  warnings only: doctor found something to look at and nothing that fails
Each failure is one sentence on stderr naming the file, config key or port and what to do.
--debug (anywhere on the command line) also prints the stack trace of an unexpected error.
`
