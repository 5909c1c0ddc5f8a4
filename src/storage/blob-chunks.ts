// Large envelope bytes as rows of at most CHUNK_BYTES (migration 036 says why: each SQLite write or
// read of a BLOB costs two more copies of it; in chunks, each copy is at most 1 MiB). The owning row
// keeps an empty BLOB in its bytes column; its bytes are put together here. Writes must run inside
// the transaction that writes the owner, so both commit (and fsync) together, or neither.
import type Database from 'better-sqlite3'
import type { Db } from './db.js'
import { bufferSource, partAt, readNow, type ByteSource } from '../byte-source.js'

export const CHUNK_BYTES = 1024 * 1024
const EMPTY = Buffer.alloc(0)

/** Which owner a chunk belongs to: table prefix and key (migration 036). */
export type ChunkOwner = `oe:${string}` | `oc:${number}` | `ie:${string}` | `ic:${string}`

/** Whether `bytes` are stored in chunks rather than in their owner's row. */
export function isChunked(bytes: Buffer): boolean {
  return bytes.length > CHUNK_BYTES
}

/** Bytes read one chunk at a time, when asked (a delivery writes them to the socket as they come). */
export interface ChunkedBytes {
  readonly length: number
  chunks(): Iterable<Buffer>
}

/** See BlobChunks.writer(). */
export interface ChunkWriter {
  write(region: Buffer): void
  end(): number
}

export class BlobChunks {
  readonly #insert: Database.Statement<[string, number, Buffer]>
  readonly #size: Database.Statement<[string], number | null>
  readonly #read: Database.Statement<[string], Buffer>
  readonly #one: Database.Statement<[string, number], Buffer>
  readonly #lengths: Database.Statement<[string], number>
  readonly #db: Db

  constructor(db: Db) {
    this.#db = db
    this.#insert = db.sqlite.prepare('INSERT INTO blob_chunks (owner, seq, bytes) VALUES (?, ?, ?)')
    this.#size = db.sqlite.prepare<[string], number | null>('SELECT sum(length(bytes)) FROM blob_chunks WHERE owner = ?').pluck()
    this.#read = db.sqlite.prepare<[string], Buffer>('SELECT bytes FROM blob_chunks WHERE owner = ? ORDER BY seq').pluck()
    this.#one = db.sqlite.prepare<[string, number], Buffer>('SELECT bytes FROM blob_chunks WHERE owner = ? AND seq = ?').pluck()
    // length() of a BLOB is read from the record header: the chunks' pages are not read.
    this.#lengths = db.sqlite.prepare<[string], number>('SELECT length(bytes) FROM blob_chunks WHERE owner = ? ORDER BY seq').pluck()
  }

  /** The value for the owner's bytes column: `bytes` itself when small, else an empty BLOB after its
   *  chunks are stored. Sync; inside the owner's transaction. */
  store(owner: ChunkOwner, bytes: Buffer): Buffer {
    if (!isChunked(bytes)) return bytes
    this.#db.checkpointLater()
    for (let seq = 0, at = 0; at < bytes.length; seq++, at += CHUNK_BYTES) this.#insert.run(owner, seq, bytes.subarray(at, at + CHUNK_BYTES))
    return EMPTY
  }

  /** Chunk rows written as the bytes come (issue 16 item 2: an envelope sealed straight into storage,
   *  never whole in memory): write() takes regions in order (copied, so they may be reused), each full
   *  CHUNK_BYTES is one row, end() stores the rest and returns the total. The owner's bytes column is
   *  then empty. Sync; inside one transaction. `firstSeq`: the owner's bytes written in several
   *  transactions, each but the last a whole number of chunks (a staged envelope, migration 015). */
  writer(owner: ChunkOwner, firstSeq = 0): ChunkWriter {
    this.#db.checkpointLater()
    const insert = this.#insert
    const block = Buffer.allocUnsafeSlow(CHUNK_BYTES) // not the shared pool: envelope bytes; bound as a copy
    let fill = 0
    let seq = firstSeq
    let total = 0
    let ended = false
    return {
      write(region: Buffer): void {
        if (ended) throw new Error(`storage: the chunks of ${owner} were ended`)
        total += region.length
        for (let at = 0; at < region.length;) {
          const n = region.copy(block, fill, at, at + CHUNK_BYTES - fill)
          fill += n
          at += n
          if (fill === CHUNK_BYTES) (insert.run(owner, seq++, block), (fill = 0))
        }
      },
      end(): number {
        if (!ended && fill > 0) insert.run(owner, seq++, block.subarray(0, fill))
        ended = true
        return total
      },
    }
  }

  /** As store(), for bytes read by range (issue 16 item 2: a received body staged on disk,
   *  storage/staged-bodies.ts): one chunk read and inserted at a time. Sync; inside the owner's transaction. */
  storeSource(owner: ChunkOwner, source: ByteSource): Buffer {
    if (source.length <= CHUNK_BYTES) return Buffer.from(source.read(0, source.length))
    this.#db.checkpointLater()
    // Each chunk is bound (copied) by the insert at once: a transient read (byte-source.ts).
    for (let seq = 0, at = 0; at < source.length; seq++, at += CHUNK_BYTES) this.#insert.run(owner, seq, readNow(source, at, Math.min(CHUNK_BYTES, source.length - at)))
    return EMPTY
  }

  /** The owner's bytes from its bytes column as read: itself, or (when empty) its chunks put together
   *  in one buffer of their total size (empty when it has none). */
  load(owner: ChunkOwner, column: Buffer): Buffer {
    if (column.length > 0) return column
    return this.#gather(owner) ?? column
  }

  /** As load(), but chunked bytes are not read yet: each chunk is read when the iteration reaches it
   *  (one statement per chunk, so no cursor stays open between the socket's writes). Throws while
   *  iterating when the chunks are gone or changed meanwhile (an emptied or deleted owner). */
  lazy(owner: ChunkOwner, column: Buffer): Buffer | ChunkedBytes {
    if (column.length > 0) return column
    const length = this.#size.get(owner) ?? 0
    if (length === 0) return column
    const one = this.#one
    return {
      length,
      * chunks() {
        let at = 0
        for (let seq = 0; at < length; seq++) {
          const chunk = one.get(owner, seq)
          if (chunk === undefined || at + chunk.length > length) throw new Error(`storage: the chunks of ${owner} changed while read`)
          at += chunk.length
          yield chunk
        }
      },
    }
  }

  /** As lazy(), read by range: a read fetches only the chunks it covers (one statement each) and
   *  keeps the last one, since a reader goes through a chunk in slices. Throws when a chunk is gone
   *  or has not the length store() gave it (an emptied or deleted owner). */
  ranged(owner: ChunkOwner, column: Buffer): ByteSource {
    if (column.length > 0) return bufferSource(column)
    // Where each chunk starts (store() writes CHUNK_BYTES each, but nothing here depends on it).
    const starts = [0]
    for (const n of this.#lengths.iterate(owner)) starts.push(starts[starts.length - 1]! + n)
    const length = starts[starts.length - 1]!
    const one = this.#one
    let held: { seq: number; bytes: Buffer } | undefined
    const chunk = (seq: number): Buffer => {
      if (held?.seq === seq) return held.bytes
      const bytes = one.get(owner, seq)
      if (bytes === undefined || bytes.length !== starts[seq + 1]! - starts[seq]!) throw new Error(`storage: the chunks of ${owner} changed while read`)
      held = { seq, bytes }
      return bytes
    }
    return {
      length,
      read(offset, n) {
        const end = Math.min(offset + n, length)
        if (offset < 0 || offset > end) throw new RangeError(`storage: read [${offset}, ${offset + n}) of ${length} bytes`)
        if (offset === end) return EMPTY
        const first = partAt(starts, starts.length - 2, offset)
        const head = chunk(first).subarray(offset - starts[first]!, end - starts[first]!)
        if (head.length === end - offset) return head // within one chunk: a view, no copy
        const out = Buffer.allocUnsafeSlow(end - offset) // not the shared pool: envelope bytes
        let at = head.copy(out, 0)
        for (let seq = first + 1; at < out.length; seq++) at += chunk(seq).copy(out, at, 0, out.length - at)
        return out
      },
    }
  }

  /** Length of the owner's bytes, given the length of its bytes column. */
  length(owner: ChunkOwner, columnLength: number): number {
    return columnLength > 0 ? columnLength : this.#size.get(owner) ?? 0
  }

  *#oneByOne(owner: ChunkOwner): Generator<Buffer> {
    const count = this.#lengths.all(owner).length
    for (let seq = 0; seq < count; seq++) {
      const chunk = this.#one.get(owner, seq)
      if (chunk === undefined) throw new Error(`storage: the chunks of ${owner} changed while read`)
      yield chunk
    }
  }

  #gather(owner: ChunkOwner): Buffer | undefined {
    const total = this.#size.get(owner) ?? 0
    if (total === 0) return undefined
    const out = Buffer.allocUnsafeSlow(total) // not the shared pool: envelope bytes
    let at = 0
    // PostgreSQL's statements hand over all their rows at once (postgresql/sync/database.ts iterate):
    // there the chunks are read one statement each, so that only one is held beside `out`.
    const chunks = this.#db.engine === 'sqlite' ? this.#read.iterate(owner) : this.#oneByOne(owner)
    for (const chunk of chunks) {
      if (at + chunk.length > total) throw new Error(`storage: the chunks of ${owner} changed while read`)
      at += chunk.copy(out, at)
    }
    if (at !== total) throw new Error(`storage: the chunks of ${owner} changed while read`)
    return out
  }
}
