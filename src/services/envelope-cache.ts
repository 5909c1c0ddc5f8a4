// Envelopes just sealed, kept in memory (bounded by bytes) so the delivery worker sends them
// without reading back from SQLite what it wrote a moment ago. The database stays the source of
// truth: a miss (eviction, restart) reads the stored bytes, which are identical.
export class EnvelopeCache {
  readonly #maxBytes: number
  readonly #entries = new Map<string, Buffer>()
  #bytes = 0

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes
  }

  put(messageId: string, envelope: Buffer): void {
    if (envelope.length > this.#maxBytes / 4) return // a few huge letters must not flush everything else
    this.delete(messageId)
    this.#entries.set(messageId, envelope)
    this.#bytes += envelope.length
    for (const [id, buf] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break
      this.#entries.delete(id)
      this.#bytes -= buf.length
    }
  }

  get(messageId: string): Buffer | undefined {
    return this.#entries.get(messageId)
  }

  delete(messageId: string): void {
    const buf = this.#entries.get(messageId)
    if (buf === undefined) return
    this.#entries.delete(messageId)
    this.#bytes -= buf.length
  }

  get bytes(): number {
    return this.#bytes
  }
}
