// The operating system's error codes in words, for the one-sentence failures of the CLI (issue 21 §2).

const ERRNO_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EADDRINUSE: 'the port is already in use',
  EADDRNOTAVAIL: 'the address is not one of this machine',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'the host name is not known',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host cannot be reached',
}

export interface Errno {
  code?: string
  syscall?: string
  path?: string
  port?: number
  address?: string
  cause?: unknown
}

export const errno = (err: unknown): Errno => (err !== null && typeof err === 'object' ? (err as Errno) : {})

/** The operating system's reason in words ("no such file or directory"), else the message. */
export function errnoReason(err: unknown): string {
  const code = errno(err).code
  return (code !== undefined ? ERRNO_REASONS[code] : undefined) ?? (err instanceof Error ? err.message : String(err))
}

/** fetch's "fetch failed" with the socket error behind it (ECONNREFUSED…), or undefined. */
export function networkFailure(err: unknown): string | undefined {
  if (!(err instanceof TypeError) || err.message !== 'fetch failed') return undefined
  const cause = errno(err.cause)
  return cause.code !== undefined ? `${ERRNO_REASONS[cause.code] ?? cause.code}` : String((err.cause as Error | undefined)?.message ?? 'network error')
}

export const isKnownErrno = (code: string | undefined): boolean => code !== undefined && ERRNO_REASONS[code] !== undefined
