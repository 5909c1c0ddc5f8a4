// Runs the receiver side of PROTOCOL.md §17.8 against every vector in test/vectors/shared-ref/
// (format: test/vectors/README.md): header parsing, the lookup of held content in a real inbox
// (SQLite file), and the envelope put back together, whose SHA-256 is the base vector's.
import t from 'tap'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Db } from '../../src/storage/db.js'
import { InboxStore } from '../../src/storage/inbox.js'
import { parseSharedRef, withShared } from '../../src/federation/shared-ref.js'
import { SarabanError } from '../../src/errors.js'

const DIR = fileURLToPath(new URL('../vectors/', import.meta.url))
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const files = readdirSync(DIR + 'shared-ref/').filter((f) => f.endsWith('.json')).sort()
t.ok(files.length >= 7, 'vectors are present')

const dir = mkdtempSync(join(tmpdir(), 'saraban-shared-ref-'))
const db = Db.open(join(dir, 'saraban.sqlite'))
t.teardown(async () => {
  await db.close()
  rmSync(dir, { recursive: true, force: true })
})
const inbox = new InboxStore(db)
const held = new Set<string>()

/** Stores the base vector's envelope as a message from `from`, as check 15 of §4.2 would. */
function hold(vector: string, start: number, end: number, from: string): Buffer {
  const v = JSON.parse(readFileSync(DIR + vector, 'utf8'))
  const envelope = Buffer.from(v.envelope, v.profile === 'cms-v1' ? 'base64' : 'utf8')
  if (!held.has(vector)) {
    held.add(vector)
    const messageId = v.expect.peek.messageId as string
    inbox.insert({
      messageId, recipientAgency: v.recipient, senderAgency: from, profile: v.profile, envelope, envelopeSha256: sha256(envelope),
      letterJson: '{}', signerJson: '{}', receivedAt: 0, receipt: 'r',
      // held as the base's shared part whatever its size (the node's own threshold is its choice, §17.8)
      content: { start, end, sha256: sha256(envelope.subarray(start, end)) },
    }, [])
  }
  return envelope
}

for (const f of files) {
  t.test(f, async (t) => {
    const v = JSON.parse(readFileSync(DIR + 'shared-ref/' + f, 'utf8'))
    const base = hold(v.held.vector, v.held.start, v.held.end, v.held.from)
    t.equal(sha256(base.subarray(v.held.start, v.held.end)), v.held.sha256, 'the held bytes are the base envelope at [start, end)')
    const body = Buffer.from(v.request.body, v.profile === 'cms-v1' ? 'base64' : 'utf8')
    const headers = Object.fromEntries(Object.entries(v.request.headers as Record<string, string>).map(([k, x]) => [k.toLowerCase(), x]))
    const receive = (): Buffer => {
      const ref = parseSharedRef(headers, body.length)
      if (!ref) throw new Error('no reference')
      const shared = inbox.contentFrom(ref.sha256, ref.length, [v.held.from])
      if (!shared) throw new SarabanError('ERR_SHARED_CONTENT_UNKNOWN', 'not held', { field: 'Saraban-Shared-Sha256' })
      return withShared(body, ref, shared)
    }
    if (v.expect.error) {
      t.throws(receive, { code: v.expect.error, field: v.expect.field })
      return
    }
    const envelope = receive()
    t.equal(sha256(envelope), v.expect.envelopeSha256, 'the envelope the receipt binds')
    t.ok(envelope.equals(base), 'byte for byte the base vector')
    const ref = parseSharedRef(headers, body.length)!
    t.equal(inbox.contentFrom(ref.sha256, ref.length, ['dga']), undefined, 'not for a peer that speaks for other senders')
  })
}
