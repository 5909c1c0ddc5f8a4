// Envelopes just sealed, kept in memory (bounded by bytes) so the delivery worker sends them
// without reading back from SQLite what it wrote a moment ago. The database stays the source of
// truth: a miss (eviction, restart) reads the stored bytes, which are identical.
// A circular's envelopes are head ‖ shared ‖ tail (PROTOCOL.md §17): the shared content is held
// once, under its outbox_contents id, however many recipients' heads refer to it.
export interface CachedEnvelope {
  readonly head: Buffer
  /** outbox_contents id of the shared bytes between head and tail; null: none. */
  readonly contentId: number | null
  readonly tail: Buffer
}

type Entry = { kind: 'message'; value: CachedEnvelope; size: number } | { kind: 'content'; value: Buffer; size: number }

const EMPTY = Buffer.alloc(0)

export class EnvelopeCache {
  readonly #maxBytes: number
  // Insertion order is eviction order (oldest first); a content is moved to the back when read.
  readonly #entries = new Map<string, Entry>()
  #bytes = 0

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes
  }

  /** A whole envelope (no shared content). */
  put(messageId: string, envelope: Buffer): void {
    this.putParts(messageId, { head: envelope, contentId: null, tail: EMPTY })
  }

  putParts(messageId: string, parts: CachedEnvelope): void {
    this.#set(`m:${messageId}`, { kind: 'message', value: parts, size: parts.head.length + parts.tail.length })
  }

  putContent(contentId: number, bytes: Buffer): void {
    this.#set(`c:${contentId}`, { kind: 'content', value: bytes, size: bytes.length })
  }

  /** A whole envelope cached with put(); undefined for a miss or one with shared content. */
  get(messageId: string): Buffer | undefined {
    const p = this.getParts(messageId)
    return p && p.contentId === null && p.tail.length === 0 ? p.head : undefined
  }

  getParts(messageId: string): CachedEnvelope | undefined {
    const e = this.#entries.get(`m:${messageId}`)
    return e?.kind === 'message' ? e.value : undefined
  }

  getContent(contentId: number): Buffer | undefined {
    const key = `c:${contentId}`
    const e = this.#entries.get(key)
    if (e?.kind !== 'content') return undefined
    // Still in use by the recipients being sent: keep it the newest.
    this.#entries.delete(key)
    this.#entries.set(key, e)
    return e.value
  }

  delete(messageId: string): void {
    this.#drop(`m:${messageId}`)
  }

  deleteContent(contentId: number): void {
    this.#drop(`c:${contentId}`)
  }

  get bytes(): number {
    return this.#bytes
  }

  #set(key: string, entry: Entry): void {
    this.#drop(key)
    if (entry.size > this.#maxBytes / 4) return // a few huge letters must not flush everything else
    this.#entries.set(key, entry)
    this.#bytes += entry.size
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break
      this.#entries.delete(k)
      this.#bytes -= e.size
    }
  }

  #drop(key: string): void {
    const e = this.#entries.get(key)
    if (e === undefined) return
    this.#entries.delete(key)
    this.#bytes -= e.size
  }
}
