// The bundle (PROTOCOL.md §5.3: ASCII(compact JWS) || 0x0A || attachment 1 || … || attachment n) taken
// slice by slice as it is decrypted, keeping only the signed letter and a SHA-256 per attachment
// (issue 16 item 2: a receiver does not hold the decrypted attachments). The attachments are cut by
// the manifest of the JWS payload as read, not yet verified: the same bytes are verified by checks()
// once the tag has passed, so the cut is the signed one or the checks fail. Nothing here throws while
// slices arrive (a failure before the tag is checked would tell a forged ciphertext from a bad one):
// a problem is kept and thrown by checks(), which the caller runs only after the tag verified.
import { createHash, type Hash } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { manifestHolder } from '../payload.js'
import { decodeStrict } from './b64.js'
import { parseJsonObject } from './compact.js'
import { manifestOf, MAX_SIGNED_LETTER_BYTES } from './v1-payload.js'

const LF = 0x0a

function malformed(detail: string, field?: string): SarabanError {
  return new SarabanError('ERR_ENVELOPE_MALFORMED', detail, field === undefined ? {} : { field })
}

/** The attachment bytes after the signed letter, cut by the manifest's sizes as read, one SHA-256 each
 *  (shared with cms-v1, whose bundle frames attachments the same way, PROTOCOL.md §12.3). */
export class AttachmentHashes {
  readonly #sizes: readonly number[]
  readonly #hashes: Hash[]
  #index = 0
  #left = 0
  #body = 0

  constructor(sizes: readonly number[]) {
    this.#sizes = sizes
    this.#hashes = sizes.map(() => createHash('sha256'))
    this.#next(0)
  }

  update(slice: Buffer): void {
    this.#body += slice.length
    let at = 0
    while (at < slice.length && this.#index < this.#sizes.length) {
      const n = Math.min(this.#left, slice.length - at)
      this.#hashes[this.#index]!.update(slice.subarray(at, at + n))
      this.#left -= n
      at += n
      if (this.#left === 0) this.#next(this.#index + 1)
    }
    // Bytes past the manifest's total are only counted: check() refuses them.
  }

  /** Moves to attachment i, past any of size 0. */
  #next(i: number): void {
    this.#index = i
    while (this.#index < this.#sizes.length && this.#sizes[this.#index] === 0) this.#index++
    this.#left = this.#sizes[this.#index] ?? 0
  }

  /** PROTOCOL.md §5.8 step 9 against the verified payload's manifest, as attachmentsOf() checks it. */
  check(letter: unknown): void {
    const manifest = manifestOf(letter)
    const total = manifest.reduce((n, m) => n + m.size, 0)
    if (total !== this.#body) throw malformed(`The bundle carries ${this.#body} attachment bytes; the signed manifest says ${total}.`, '/letter/attachments')
    manifest.forEach((m, i) => {
      // The same signed bytes framed the hashes: the verified sizes are the ones cut by.
      if (this.#sizes[i] !== m.size || this.#hashes[i]!.digest('hex') !== m.sha256) {
        throw new SarabanError('ERR_ATTACHMENT_DIGEST_MISMATCH', `Attachment ${i} does not match its SHA-256 in the signed manifest.`, { field: `/letter/attachments/${i}/sha256` })
      }
    })
  }
}

/** Sizes of a payload's manifest as read (before its signature is checked); none when it does not read. */
export function sizesAsRead(payload: Record<string, unknown> | undefined): number[] {
  try {
    return payload === undefined ? [] : manifestOf(manifestHolder(payload)).map((m) => m.size)
  } catch {
    return []
  }
}

export class BundleSink {
  #head: Buffer[] = []
  #headBytes = 0
  #jws: Buffer | undefined
  #problem: unknown
  #attachments = new AttachmentHashes([])

  /** Takes the next slice of plaintext; never throws. */
  readonly write = (slice: Buffer): void => {
    if (this.#problem !== undefined) return
    try {
      this.#write(slice)
    } catch (err) {
      this.#problem = err
    }
  }

  #write(slice: Buffer): void {
    if (this.#jws === undefined) {
      const nl = slice.indexOf(LF)
      const part = nl < 0 ? slice : slice.subarray(0, nl)
      this.#headBytes += part.length
      if (this.#headBytes > MAX_SIGNED_LETTER_BYTES || (nl === 0 && this.#headBytes === 0)) {
        throw malformed('The bundle does not start with a signed letter followed by a line feed.')
      }
      this.#head.push(Buffer.from(part)) // a copy: the slice's buffer may be reused
      if (nl < 0) return
      this.#jws = Buffer.concat(this.#head)
      this.#head = []
      this.#attachments = new AttachmentHashes(this.#frame(this.#jws))
      slice = slice.subarray(nl + 1)
    }
    this.#attachments.update(slice)
  }

  /** The attachment sizes of the payload as read (its signature is checked later, on the same bytes).
   *  A payload that does not read leaves none: the checks after the tag then refuse it with the code
   *  open() gives (a bad signature first, and so on), never one of this framing's own. */
  #frame(jws: Buffer): number[] {
    const first = jws.indexOf(0x2e)
    const second = jws.indexOf(0x2e, first + 1)
    const raw = first < 0 || second < 0 ? undefined : decodeStrict(jws.subarray(first + 1, second))
    return sizesAsRead(raw === undefined ? undefined : parseJsonObject(raw))
  }

  /** After the tag verified: the signed letter (the JWS before the first LF), or the problem met. */
  jws(): Buffer {
    if (this.#problem !== undefined) throw this.#problem
    if (this.#jws === undefined) throw malformed('The bundle does not start with a signed letter followed by a line feed.')
    return this.#jws
  }

  /** PROTOCOL.md §5.8 step 9 against the verified payload's manifest, as attachmentsOf() checks it. */
  checkAttachments(letter: unknown): void {
    this.#attachments.check(letter)
  }
}
