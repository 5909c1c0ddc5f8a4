// A BER element walker over a ByteSource (src/byte-source.ts), for finding the encrypted content of a
// stored cms-v1 envelope without reading it (issue 16 item 2): it reads element headers only, with
// definite or indefinite lengths (OpenSSL's streamed output) as der-read.ts accepts them, and gives up
// (undefined) on anything else, or past a budget of elements, so that the caller reads the envelope
// whole and der-read.ts judges it as before.
import type { ByteSource } from '../../byte-source.js'
import { elementBudget } from './der-read.js'

export interface BerElement {
  readonly tag: number
  readonly constructed: boolean
  readonly start: number // first identifier octet
  readonly body: number // first content octet
  readonly end: number // just past the content (before an end-of-contents)
  readonly next: number // just past the element
}

const MAX_DEPTH = 32

export class BerWalk {
  readonly #source: ByteSource
  /** Where each indefinite-length element ends, once walked. */
  readonly #nexts = new Map<number, number>()
  #budget: number

  constructor(source: ByteSource) {
    this.#source = source
    this.#budget = 2 * elementBudget(source.length) // children() meets each element a second time
  }

  /** The element at `at`, within `limit`. */
  at(at: number, limit: number, depth = 0): BerElement | undefined {
    if (depth > MAX_DEPTH || --this.#budget < 0 || at + 2 > limit) return undefined
    const b = this.#source.read(at, Math.min(6, limit - at))
    const tag = b[0]!, lb = b[1]!
    const constructed = (tag & 0x20) !== 0
    if ((tag & 0x1f) === 0x1f || lb === 0xff) return undefined // high tag numbers: not in cms-v1
    if (lb === 0x80) {
      if (!constructed) return undefined
      let next = this.#nexts.get(at)
      if (next === undefined) {
        let p = at + 2
        for (;;) {
          if (p + 2 > limit) return undefined
          const eoc = this.#source.read(p, 2)
          if (eoc[0] === 0 && eoc[1] === 0) break
          const child = this.at(p, limit, depth + 1)
          if (child === undefined) return undefined
          p = child.next
        }
        next = p + 2
        this.#nexts.set(at, next)
      }
      return { tag, constructed, start: at, body: at + 2, end: next - 2, next }
    }
    const n = lb < 0x80 ? 0 : lb & 0x7f
    if (n > 4 || b.length < 2 + n) return undefined
    let length = lb < 0x80 ? lb : 0
    for (let i = 0; i < n; i++) length = length * 256 + b[2 + i]!
    const end = at + 2 + n + length
    return end > limit ? undefined : { tag, constructed, start: at, body: at + 2 + n, end, next: end }
  }

  /** The children of a constructed element: at most `max`, else undefined. */
  children(parent: BerElement, max: number, depth = 0): BerElement[] | undefined {
    if (!parent.constructed) return undefined
    const out: BerElement[] = []
    for (let p = parent.body; p < parent.end; ) {
      const c = out.length === max ? undefined : this.at(p, parent.end, depth + 1)
      if (c === undefined) return undefined
      out.push(c)
      p = c.next
    }
    return out
  }
}
