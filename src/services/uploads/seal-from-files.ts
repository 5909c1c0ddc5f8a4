// Sealing a letter from its spooled attachment files straight into chunk rows (issue 16 item 2;
// PROTOCOL.md implementation notes "Multipart uploads"). Called by the send use case
// (services/send.ts) inside the write() fn that stores the letter.
import type { EnvelopeProfile, SealRecipient, SealedPart, SealsOneTo, StreamSealManyInput } from '../../crypto/profiles.js'
import { CHUNK_BYTES } from '../../storage/blob-chunks.js'
import type { OutboxStore } from '../../storage/outbox.js'
import { openFileSource } from './file-source.js'
import type { SpooledFile } from './spool.js'

const EMPTY = Buffer.alloc(0)

/**
 * Issue 16 item 2: each envelope of `jobs` sealed from the spooled files straight into its chunk rows
 * (OutboxStore.envelopeWriter), 1 MiB at a time: neither the attachments nor the envelope are ever
 * whole in memory. Synchronous, inside the write() fn that stores the letter, so the rows commit (and
 * are fsync'd) with it before the 202, and a failure anywhere rolls them back with it. The bytes are
 * those the same profile seals into memory (crypto/seal-sink.ts: one implementation, two sinks).
 * `stored` gets each part (head and tail empty: the envelope is all in the chunk rows).
 */
export function sealStreamed(
  outbox: Pick<OutboxStore, 'envelopeWriter'>, jobs: ReadonlyArray<{ profile: EnvelopeProfile & SealsOneTo; recipient: SealRecipient }>,
  base: Omit<StreamSealManyInput, 'attachments' | 'recipients'>, files: ReadonlyArray<{ readonly bytes?: Buffer | undefined; readonly file?: SpooledFile | undefined }>,
  stored: (profile: EnvelopeProfile, part: SealedPart) => void,
): void {
  if (jobs.length === 0) return
  const sources = files.map((f) => (f.file ? openFileSource(f.file) : undefined))
  try {
    const attachments = files.map((f, i) => sources[i] ?? f.bytes!)
    for (const { profile, recipient } of jobs) {
      const chunks = outbox.envelopeWriter(recipient.messageId)
      const s = profile.sealOneTo({ ...base, attachments, recipients: [recipient] }, (size) => {
        // Only envelopes over a chunk are written this way: the layout insertLetter() gives them whole.
        if (size <= CHUNK_BYTES) throw new Error(`send: a streamed envelope of ${size} bytes`)
        return (region) => chunks.write(region)
      })
      if (chunks.end() !== s.size) throw new Error(`send: ${recipient.messageId}: sealed ${s.size} bytes, stored another length`)
      stored(profile, { messageId: recipient.messageId, to: recipient.to, head: EMPTY, tail: EMPTY, envelopeSha256: s.envelopeSha256, contentKey: s.contentKey, signature: s.signature })
    }
  } finally {
    for (const src of sources) src?.close()
  }
}
