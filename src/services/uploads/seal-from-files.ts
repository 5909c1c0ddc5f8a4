// Sealing a letter from its spooled attachment files (issue 16 item 2; PROTOCOL.md implementation
// notes "Multipart uploads"), for the send use case (services/send.ts): each envelope is sealed into
// a private file beside the uploads, 1 MiB at a time, then copied into chunk rows of an envelope
// staged for the letter (migration 015), 16 MiB per commit, which the letter's own transaction adopts.
// Neither the attachments nor an envelope are ever whole in memory, and no one transaction holds
// SQLite's write lock for the whole envelope (other processes of the node write meanwhile).
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { dirname, join } from 'node:path'
import type { EnvelopeProfile, SealRecipient, SealedPart, SealsOneTo, StreamSealManyInput } from '../../crypto/profiles.js'
import { CHUNK_BYTES } from '../../storage/blob-chunks.js'
import type { Db } from '../../storage/db.js'
import type { OutboxStore } from '../../storage/outbox.js'
import { PRIVATE_FILE_MODE } from '../../storage/private-files.js'
import { openFileSource } from './file-source.js'
import type { SpooledFile } from './spool.js'

const EMPTY = Buffer.alloc(0)
/** Bytes of an envelope copied into chunk rows per commit: a whole number of chunks. */
export const STAGE_BYTES = 16 * CHUNK_BYTES

export interface SealJob { readonly profile: EnvelopeProfile & SealsOneTo; readonly recipient: SealRecipient }

/** One envelope sealed into a file: where, how long, and the part (head and tail empty) for its message. */
export interface SealedFile { readonly profile: EnvelopeProfile; readonly path: string; readonly size: number; readonly part: SealedPart }

type Attachment = { readonly bytes?: Buffer | undefined; readonly file?: SpooledFile | undefined }

/**
 * Each job's envelope sealed from the attachments (spooled files read by range, or bytes) into a new
 * private file in `dir`; synchronous. The bytes are those the same profile seals into memory
 * (crypto/seal-sink.ts: one implementation, two sinks). On a failure no file is left.
 */
export function sealToFiles(jobs: readonly SealJob[], base: Omit<StreamSealManyInput, 'attachments' | 'recipients'>, files: readonly Attachment[], dir: string): SealedFile[] {
  const done: SealedFile[] = []
  const created: string[] = [] // removed on a failure
  const sources = files.map((f) => (f.file ? openFileSource(f.file) : undefined))
  const block = Buffer.allocUnsafeSlow(CHUNK_BYTES) // not the shared pool: envelope bytes
  try {
    const attachments = files.map((f, i) => sources[i] ?? f.bytes!)
    for (const { profile, recipient } of jobs) {
      const path = join(dir, `${randomUUID()}.sealed`)
      const fd = openSync(path, 'wx', PRIVATE_FILE_MODE)
      created.push(path)
      let written = 0
      let fill = 0
      const flush = (): void => {
        for (let at = 0; at < fill;) at += writeSync(fd, block, at, fill - at)
        written += fill
        fill = 0
      }
      try {
        const s = profile.sealOneTo({ ...base, attachments, recipients: [recipient] }, () => (region) => {
          for (let at = 0; at < region.length;) {
            const n = region.copy(block, fill, at)
            fill += n
            at += n
            if (fill === CHUNK_BYTES) flush()
          }
        })
        flush()
        if (written !== s.size) throw new Error(`send: ${recipient.messageId}: sealed ${s.size} bytes, wrote ${written}`)
        done.push({ profile, path, size: s.size, part: { messageId: recipient.messageId, to: recipient.to, head: EMPTY, tail: EMPTY, envelopeSha256: s.envelopeSha256, contentKey: s.contentKey, signature: s.signature } })
      } finally {
        closeSync(fd)
      }
    }
    return done
  } catch (err) {
    removeSealed(created.map((path) => ({ path })))
    throw err
  } finally {
    for (const src of sources) src?.close()
  }
}

/** Where sealToFiles() puts its files: beside the first spooled upload (the process's spool folder,
 *  emptied at start). */
export function sealingDir(files: readonly Attachment[]): string | undefined {
  const first = files.find((f) => f.file !== undefined)?.file
  return first && dirname(first.path)
}

/**
 * A sealed envelope stored as an envelope staged for `letterId` (OutboxStore.stageEnvelope, migration
 * 015: no letter owns it yet, nothing lists or delivers it), STAGE_BYTES per commit; returns its
 * outbox_contents id, for the message's contentId. The letter's transaction adopts it; if the letter
 * is not stored, the caller drops it (OutboxStore.dropSealing), and a start drops one a crash left.
 */
export async function stageSealed(db: Db, outbox: Pick<OutboxStore, 'stageEnvelope' | 'stagedWriter'>, letterId: string, sealed: SealedFile): Promise<number> {
  const id = await db.write(() => outbox.stageEnvelope(letterId, sealed.profile.id, EMPTY))
  const fd = openSync(sealed.path, 'r')
  const block = Buffer.allocUnsafeSlow(CHUNK_BYTES) // not the shared pool: envelope bytes
  try {
    for (let from = 0; from < sealed.size; from += STAGE_BYTES) {
      await db.write(() => {
        const w = outbox.stagedWriter(id, from / CHUNK_BYTES)
        const to = Math.min(from + STAGE_BYTES, sealed.size)
        for (let at = from; at < to;) {
          const n = readSync(fd, block, 0, Math.min(CHUNK_BYTES, to - at), at)
          if (n === 0) throw new Error(`send: ${sealed.path} ended at ${at} of ${sealed.size} bytes`)
          w.write(block.subarray(0, n))
          at += n
        }
        w.end()
      })
    }
  } finally {
    closeSync(fd)
  }
  return id
}

/** Removes sealed files; never throws. */
export function removeSealed(sealed: readonly Pick<SealedFile, 'path'>[]): void {
  for (const s of sealed) rmSync(s.path, { force: true })
}
