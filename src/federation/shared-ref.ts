// Shared content by reference (PROTOCOL.md §17.8). A part of a letter sealed for many is
// head ‖ shared ‖ tail (§17.1); once a receiving node holds `shared` from this sender, the sender may
// send head ‖ tail with three headers naming the shared bytes, and the receiver puts them back in
// place before any check of §4.2 runs. The envelope (and so the receipt, §6.2) is byte for byte the
// same as if it had been sent whole.
import { createHash, type Hash } from 'node:crypto'
import { SarabanError } from '../errors.js'

export const SHARED_HEADERS = {
  sha256: 'saraban-shared-sha256',
  offset: 'saraban-shared-offset',
  length: 'saraban-shared-length',
} as const
/** Answer header of a receiver that resolves references (PROTOCOL.md §17.8). */
export const SHARED_CONTENT_SUPPORT = 'saraban-shared-content'

export interface SharedRef {
  /** SHA-256 of the shared bytes, lowercase hex. */
  readonly sha256: string
  /** Where the shared bytes go in the request body (0 = before its first byte). */
  readonly offset: number
  readonly length: number
}

const HEX64 = /^[0-9a-f]{64}$/
const DECIMAL = /^(0|[1-9][0-9]{0,14})$/

/** The reference of a request, or undefined when it sends the whole envelope. All three headers
 *  or none, each once, in the forms of §17.8; `bodyLength` is the request body's length. */
export function parseSharedRef(h: Record<string, string | string[] | undefined>, bodyLength: number): SharedRef | undefined {
  const [sha256, offset, length] = [SHARED_HEADERS.sha256, SHARED_HEADERS.offset, SHARED_HEADERS.length].map((n) => h[n])
  if (sha256 === undefined && offset === undefined && length === undefined) return undefined
  const bad = (field: string, what: string) => new SarabanError('ERR_ENVELOPE_MALFORMED', `${what} (PROTOCOL.md §17.8).`, { field })
  // `field` names the first header, in the order of the §17.8 table, that is missing or repeated.
  const wrong = ([['Saraban-Shared-Sha256', sha256], ['Saraban-Shared-Offset', offset], ['Saraban-Shared-Length', length]] as const).find(([, v]) => typeof v !== 'string')
  if (wrong || typeof sha256 !== 'string' || typeof offset !== 'string' || typeof length !== 'string') {
    const name = wrong?.[0] ?? 'Saraban-Shared-Sha256'
    throw bad(name, `${name} is ${wrong?.[1] === undefined ? 'missing' : 'repeated'}: send the three headers Saraban-Shared-Sha256, -Offset and -Length once each, or none`)
  }
  if (!HEX64.test(sha256)) throw bad('Saraban-Shared-Sha256', 'Saraban-Shared-Sha256 must be 64 lowercase hexadecimal digits')
  if (!DECIMAL.test(offset) || Number(offset) > bodyLength) throw bad('Saraban-Shared-Offset', `Saraban-Shared-Offset must be a decimal number from 0 to the body length (${bodyLength})`)
  if (!DECIMAL.test(length) || Number(length) === 0) throw bad('Saraban-Shared-Length', 'Saraban-Shared-Length must be a decimal number greater than 0')
  return { sha256, offset: Number(offset), length: Number(length) }
}

/** The envelope: body[0, offset) ‖ shared ‖ body[offset, …). */
export function withShared(body: Buffer, ref: SharedRef, shared: Buffer): Buffer {
  return Buffer.concat([body.subarray(0, ref.offset), shared, body.subarray(ref.offset)], body.length + shared.length)
}

/** A rebuilt envelope (§17.8) lent by SharedEnvelopes; `release()` once nothing reads it any more. */
export interface LentEnvelope {
  readonly envelope: Buffer
  release(): void
}

/** Room kept before and after the shared bytes in a SharedEnvelopes buffer, for a part's head and
 *  tail (jose-v2: 15 bytes and a few hundred; cms-v1: the RecipientInfo and the mac). */
export const SHARED_SLACK_BYTES = 16 * 1024

interface Frame { readonly bytes: Buffer; used: boolean }

/** Free frames kept, in bytes over all contents (a sender sends up to 16 parts at once to a peer,
 *  config delivery.concurrencyPerPeer: 16 frames of a 1 MB circular's 1.4 MB shared text fit). */
export const SHARED_FREE_BYTES = 64 * 1024 * 1024

/**
 * Envelopes put back together (PROTOCOL.md §17.8) without copying their shared bytes for each part:
 * a hosting node receiving a circular for its 981 agencies made a new 1.4 MB buffer per envelope
 * (withShared: a copy, fresh pages and garbage to collect; issue 16 item 3, about a sixth of a
 * receiving node's CPU in the profile). A frame holds one copy of the shared bytes with room before
 * and after; each part writes its head and tail around them, and its envelope is a view of exactly
 * head ‖ shared ‖ tail: the same bytes withShared() makes. A frame is lent to one request at a time
 * (its head and tail are overwritten by the next), so there are as many as requests in flight for
 * that content; released frames are kept up to `maxFreeBytes` in all, for at most `maxContents`
 * contents. A head or tail larger than the room takes withShared().
 */
export class SharedEnvelopes {
  readonly #frames = new Map<string, Frame[]>()
  readonly #maxContents: number
  readonly #maxFreeBytes: number
  #freeBytes = 0

  constructor(opts: { maxContents?: number; maxFreeBytes?: number } = {}) {
    this.#maxContents = opts.maxContents ?? 8
    this.#maxFreeBytes = opts.maxFreeBytes ?? SHARED_FREE_BYTES
  }

  /** body[0, offset) ‖ shared ‖ body[offset, …), as withShared(); `shared` has ref's SHA-256 and length. */
  lend(body: Buffer, ref: SharedRef, shared: Buffer): LentEnvelope {
    const head = body.subarray(0, ref.offset)
    const tail = body.subarray(ref.offset)
    if (head.length > SHARED_SLACK_BYTES || tail.length > SHARED_SLACK_BYTES || shared.length !== ref.length) {
      return { envelope: withShared(body, ref, shared), release: () => {} }
    }
    const key = `${ref.sha256}:${ref.length}`
    let frames = this.#frames.get(key)
    if (frames === undefined) {
      if (this.#frames.size >= this.#maxContents) this.#drop(this.#frames.keys().next().value!)
      this.#frames.set(key, (frames = []))
    }
    let frame = frames.find((f) => !f.used)
    if (frame === undefined) {
      const bytes = Buffer.allocUnsafeSlow(SHARED_SLACK_BYTES + shared.length + SHARED_SLACK_BYTES) // not the shared pool: envelope bytes
      shared.copy(bytes, SHARED_SLACK_BYTES)
      frame = { bytes, used: false }
      frames.push(frame)
    } else {
      this.#freeBytes -= frame.bytes.length
    }
    frame.used = true
    const start = SHARED_SLACK_BYTES - head.length
    const end = SHARED_SLACK_BYTES + shared.length + tail.length
    head.copy(frame.bytes, start)
    tail.copy(frame.bytes, SHARED_SLACK_BYTES + shared.length)
    // A new Buffer object per part: what is cached by Buffer (jose-v2's parse) is never another part's.
    const envelope = frame.bytes.subarray(start, end)
    const lent = frame
    let released = false
    return {
      envelope,
      release: () => {
        if (released) return
        released = true
        lent.used = false
        const list = this.#frames.get(key)
        if (list === undefined || !list.includes(lent)) return // the content was dropped meanwhile: so is its frame
        if (this.#freeBytes + lent.bytes.length > this.#maxFreeBytes) list.splice(list.indexOf(lent), 1)
        else this.#freeBytes += lent.bytes.length
      },
    }
  }

  /** Frames held, lent or free, and the free frames' bytes (tests). */
  get size(): { frames: number; freeBytes: number } {
    let frames = 0
    for (const list of this.#frames.values()) frames += list.length
    return { frames, freeBytes: this.#freeBytes }
  }

  #drop(key: string): void {
    for (const f of this.#frames.get(key) ?? []) if (!f.used) this.#freeBytes -= f.bytes.length
    this.#frames.delete(key)
  }
}

/** The SHA-256 of each rebuilt envelope (§6.2, §17.8) without hashing its shared bytes again: the
 *  parts of one circular share head ‖ shared (jose-v2's head is the same 15 bytes for all), so the
 *  hash state after them is kept, per shared content and head, and finished with each tail, as the
 *  sender computes its parts' digests (issue 16 item 3: a 1.4 MB SHA-256 pass per envelope). */
export class SharedDigests {
  readonly #states = new Map<string, Hash>()
  readonly #max: number

  constructor(max = 8) {
    this.#max = max
  }

  /** Hex SHA-256 of body[0, offset) ‖ shared ‖ body[offset, end): the envelope withShared() makes. */
  envelopeSha256(body: Buffer, ref: SharedRef, shared: Buffer): string {
    const head = body.subarray(0, ref.offset)
    const key = `${ref.sha256}:${ref.length}:${head.toString('base64')}`
    let state = this.#states.get(key)
    if (state === undefined) {
      state = createHash('sha256').update(head).update(shared)
      if (this.#states.size >= this.#max) this.#states.delete(this.#states.keys().next().value!)
      this.#states.set(key, state)
    }
    return state.copy().update(body.subarray(ref.offset)).digest('hex')
  }
}

/** The request headers of a reference. */
export function sharedRefHeaders(ref: SharedRef): Record<string, string> {
  return { [SHARED_HEADERS.sha256]: ref.sha256, [SHARED_HEADERS.offset]: String(ref.offset), [SHARED_HEADERS.length]: String(ref.length) }
}
