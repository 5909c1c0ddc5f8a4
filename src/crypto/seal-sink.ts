// Sealing into a sink instead of one buffer (issue 16 item 2: a 100 MB letter in bounded memory).
// Each profile's seal writes the envelope as a run of regions, in order; sealing into memory is one of
// the sinks (BufferOut: the regions copied into one buffer of the envelope's size), storage another
// (chunk rows, storage/blob-chunks.ts). Both run the same code, so the bytes cannot differ.
// Plaintext parts are Buffers or ByteSources (an attachment spooled to a file and read by range).
import { readNow, type ByteSource } from '../byte-source.js'
import type { SealRecipient } from './types.js'

/** Receives the envelope's bytes in order; a region is valid only during the call (copy to keep it). */
export type RegionSink = (region: Buffer) => void

/** A part of the plaintext: bytes in memory, or read by range (an uploaded file, services/uploads/). */
export type PlainPart = Buffer | ByteSource

/** The slices of a part, `size` bytes each (the last shorter); a ByteSource is read one slice at a time,
 *  transiently (byte-source.ts readNow): each slice is enciphered before the next is read. */
export function* slicesOf(part: PlainPart, size: number): Generator<Buffer> {
  for (let at = 0; at < part.length; at += size) {
    const n = Math.min(size, part.length - at)
    const slice = Buffer.isBuffer(part) ? part.subarray(at, at + n) : readNow(part, at, n)
    if (slice.length !== n) throw new Error(`seal: a plaintext part gave ${slice.length} bytes at ${at}, not ${n}`)
    yield slice
  }
}

export function totalLength(parts: readonly PlainPart[]): number {
  return parts.reduce((n, p) => n + p.length, 0)
}

/** The sink of sealing into memory: one buffer of the announced size, never from the shared pool. */
export class BufferOut {
  readonly #out: Buffer
  #at = 0

  constructor(size: number) {
    this.#out = Buffer.allocUnsafeSlow(size)
  }

  readonly put: RegionSink = (region) => {
    if (this.#at + region.length > this.#out.length) throw new Error(`seal: more than the ${this.#out.length} bytes announced`)
    this.#at += region.copy(this.#out, this.#at)
  }

  /** The buffer, once exactly its size was written. */
  done(): Buffer {
    if (this.#at !== this.#out.length) throw new Error(`seal: wrote ${this.#at} of ${this.#out.length} bytes`)
    return this.#out
  }
}

/** The one recipient of a sealOneTo() input (types.ts SealsOneTo). */
export function oneRecipient(input: { readonly recipients: readonly SealRecipient[] }): SealRecipient {
  if (input.recipients.length !== 1) throw new Error('sealOneTo: exactly one recipient')
  return input.recipients[0]!
}
