// The checkpoint body (PROTOCOL.md §20.4): the C2SP tlog-checkpoint note text
// (https://c2sp.org/tlog-checkpoint), so that existing checkpoint tooling reads our tree heads:
//   <origin>\n<tree size, decimal>\n<root hash, standard base64>\ntime <RFC 3339 UTC>\n
// The signature is not C2SP's signed-note line: it is a JWS made with the agency's X.509 signing key
// (services/log), since that is the key peers already trust. This module only writes and reads the
// text, strictly: one way to write each checkpoint, so a signature covers exactly one meaning.

export interface CheckpointBody {
  /** The log identity, `saraban/v1/log/<agency>` (§20.1). */
  readonly origin: string
  readonly size: number
  /** 32 bytes. */
  readonly root: Buffer
  /** When the node signed it: RFC 3339 UTC as `sentAt` (§5.4). */
  readonly time: string
}

export class TlogFormatError extends Error {
  override name = 'TlogFormatError'
}

const ORIGIN = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/ // printable ASCII, no newline; C2SP: non-empty
const SIZE = /^(0|[1-9][0-9]{0,15})$/
const B64_32 = /^[A-Za-z0-9+/]{43}=$/
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/

/** The origin of an agency's log. */
export function logOrigin(agency: string): string {
  return `saraban/v1/log/${agency}`
}

export function checkpointBody(b: CheckpointBody): string {
  if (!ORIGIN.test(b.origin)) throw new TlogFormatError('checkpoint: the origin must be printable ASCII on one line')
  if (!Number.isSafeInteger(b.size) || b.size < 0) throw new TlogFormatError('checkpoint: the size must be a whole number ≥ 0')
  if (b.root.length !== 32) throw new TlogFormatError('checkpoint: the root must be a 32-byte SHA-256 hash')
  if (!TIME.test(b.time) || Number.isNaN(Date.parse(b.time))) throw new TlogFormatError('checkpoint: the time must be RFC 3339 UTC')
  return `${b.origin}\n${b.size}\n${b.root.toString('base64')}\ntime ${b.time}\n`
}

/** Reads a checkpoint body; throws TlogFormatError on anything but the one form checkpointBody writes. */
export function parseCheckpointBody(text: string): CheckpointBody {
  if (!text.endsWith('\n')) throw new TlogFormatError('checkpoint: the body must end with a newline')
  const lines = text.slice(0, -1).split('\n')
  if (lines.length !== 4) throw new TlogFormatError(`checkpoint: expected 4 lines (origin, size, root, time), found ${lines.length}`)
  const [origin, size, root, time] = lines as [string, string, string, string]
  if (!ORIGIN.test(origin)) throw new TlogFormatError('checkpoint: line 1 (origin) is not printable ASCII')
  if (!SIZE.test(size) || !Number.isSafeInteger(Number(size))) throw new TlogFormatError('checkpoint: line 2 (size) is not a decimal without leading zeros')
  if (!B64_32.test(root)) throw new TlogFormatError('checkpoint: line 3 (root) is not the standard base64 of 32 bytes')
  if (!time.startsWith('time ')) throw new TlogFormatError('checkpoint: line 4 must be the extension line "time <RFC 3339>"')
  const t = time.slice(5)
  if (!TIME.test(t) || Number.isNaN(Date.parse(t))) throw new TlogFormatError('checkpoint: line 4 (time) is not RFC 3339 UTC')
  const body = { origin, size: Number(size), root: Buffer.from(root, 'base64'), time: t }
  if (checkpointBody(body) !== text) throw new TlogFormatError('checkpoint: not in the canonical form') // e.g. non-canonical base64 bits
  return body
}
