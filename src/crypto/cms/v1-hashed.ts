// cms-v1 opened with its attachments hashed as they are decrypted and not kept (issue 16 item 2), as
// jose-v1's openV1Hashed: the bundle (PROTOCOL.md §12.3) is the SignedData DER then the attachments,
// so the signed letter is the first DER element, whose length its header gives. Framing the
// attachments reads the signed payload before the tag is checked, but nothing is judged until it is:
// a bundle this framing does not follow (another first element, BER, a letter over 8 MiB) is opened
// whole once the tag verified, so that its answer is exactly open()'s.
import type { PrivateKeyRef } from '../keys/private-key.js'
import type { Opened } from '../types.js'
import { manifestHolder } from '../payload.js'
import { decryptWithRecipientKeyToSink, parseAuthEnveloped, type ParsedAuthEnveloped } from './auth-enveloped.js'
import type { ByteSource } from '../../byte-source.js'
import { AttachmentHashes, sizesAsRead } from '../jose/v1-bundle-sink.js'
import { MAX_SIGNED_LETTER_BYTES } from '../jose/v1-payload.js'
import { verifyCms } from './signed-data.js'
import { parseJsonObject } from '../jose/compact.js'

/** The first DER element's whole length from its first bytes (definite length, at most 4 length octets);
 *  undefined while more bytes are needed; -1 when it is not a definite-length SEQUENCE. */
function derLength(b: Buffer): number | undefined {
  if (b.length < 2) return undefined
  if (b[0] !== 0x30) return -1
  const first = b[1]!
  if (first < 0x80) return 2 + first
  const n = first & 0x7f
  if (n === 0 || n > 4) return -1
  if (b.length < 2 + n) return undefined
  let len = 0
  for (let i = 0; i < n; i++) len = len * 256 + b[2 + i]!
  return 2 + n + len
}

class CmsBundleSink {
  #head: Buffer[] = []
  #headBytes = 0
  #want: number | undefined
  #signed: Buffer | undefined
  #whole = false // fall back to open() once the tag verified
  #attachments = new AttachmentHashes([])

  readonly write = (slice: Buffer): void => {
    if (this.#whole) return
    try {
      this.#write(slice)
    } catch {
      this.#whole = true
    }
  }

  #write(slice: Buffer): void {
    if (this.#signed === undefined) {
      if (this.#want === undefined) {
        const seen = Buffer.concat([...this.#head, slice.subarray(0, 6)])
        const want = derLength(seen)
        if (want === -1 || (want !== undefined && want > MAX_SIGNED_LETTER_BYTES)) return void (this.#whole = true)
        this.#want = want
      }
      const take = this.#want === undefined ? slice.length : Math.min(slice.length, this.#want - this.#headBytes)
      this.#head.push(Buffer.from(slice.subarray(0, take))) // a copy: the slice's buffer may be reused
      this.#headBytes += take
      if (this.#want === undefined || this.#headBytes < this.#want) return
      this.#signed = Buffer.concat(this.#head)
      this.#head = []
      // The payload as read, to cut the attachments: its signature is checked after the tag, on these bytes.
      let payload: Record<string, unknown> | undefined
      try {
        payload = parseJsonObject(verifyCms(this.#signed).payload)
      } catch {
        payload = undefined
      }
      this.#attachments = new AttachmentHashes(sizesAsRead(payload))
      slice = slice.subarray(take)
    }
    this.#attachments.update(slice)
  }

  /** After the tag verified: the signed letter, or undefined when the bundle must be opened whole. */
  signed(): Buffer | undefined {
    return this.#whole ? undefined : this.#signed
  }

  get attachments(): AttachmentHashes {
    return this.#attachments
  }
}

/** `open` is the profile's own open(), which answers for a bundle this framing does not follow (and
 *  for any refusal of the signed letter, so that codes and words are exactly open()'s); `checkSigned`
 *  is its checks of the signed letter (SignedData, signature, payload, routing) on those bytes alone. */
export function openCmsV1Hashed(
  envelope: Buffer, key: PrivateKeyRef, open: () => Opened,
  checkSigned: (signed: Buffer) => { opened: Omit<Opened, 'attachments'>; end: number },
): Opened {
  return openCmsV1HashedFrom(parseAuthEnveloped(envelope), key, undefined, open, checkSigned)
}

/** As openCmsV1Hashed(), for an envelope parsed from its skeleton (crypto/ranged.ts) whose ciphertext
 *  is read by range from `ciphertext` (issue 16 item 2: a body staged on disk); `open` then opens the
 *  envelope read whole, for the bundles this framing does not follow. */
export function openCmsV1HashedFrom(
  parsed: ParsedAuthEnveloped, key: PrivateKeyRef, ciphertext: ByteSource | undefined, open: () => Opened,
  checkSigned: (signed: Buffer) => { opened: Omit<Opened, 'attachments'>; end: number },
): Opened {
  const sink = new CmsBundleSink()
  decryptWithRecipientKeyToSink(parsed, key, sink.write, ciphertext)
  // The tag verified: from here the plaintext may be judged.
  const signed = sink.signed()
  if (signed === undefined) return open()
  let checked: ReturnType<typeof checkSigned>
  try {
    checked = checkSigned(signed)
  } catch {
    return open()
  }
  if (checked.end !== signed.length) return open()
  sink.attachments.check(manifestHolder(checked.opened.payload))
  return { ...checked.opened, attachments: [] }
}
