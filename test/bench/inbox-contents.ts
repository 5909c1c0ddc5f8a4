// The receiving side of a circular in isolation (issue 5 §4, migration 012): one node hosting
// `recipients` agencies stores each one's envelope head ‖ shared ‖ tail (PROTOCOL.md §17.1), with
// `concurrency` deliveries in flight as the sender's per-peer limit allows (default 16), on a real
// SQLite file with synchronous=FULL and group commit. Layouts compared, each on a fresh file:
//   whole  – every envelope in its own row (before migration 012)
//   shared – the content once in inbox_contents, per recipient head + digest + tail
// Prints the time to store them all (hashing the content included, as the receive service does),
// the bytes the process wrote (write(2)/pwrite(2): WAL, checkpoints) and the database size after a
// final checkpoint. Asserts only that every envelope reads back byte for byte.
//   npx tsx test/bench/inbox-contents.ts [--recipients 125] [--mb 1.4] [--concurrency 16] [--rounds 2]
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Db, InboxStore, type NewInboxMessage } from '../../src/storage/index.js'
import { sharedContent } from '../../src/storage/inbox.js'

const { values } = parseArgs({ options: {
  recipients: { type: 'string', default: '125' }, mb: { type: 'string', default: '1.4' },
  concurrency: { type: 'string', default: '16' }, rounds: { type: 'string', default: '2' },
} })
const N = Number(values.recipients)
const SIZE = Math.round(Number(values.mb) * 1_000_000)
const CONCURRENCY = Number(values.concurrency)

const wchar = (): number => Number(/wchar:\s+(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1])
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`

/** As jose-v2 writes them: a 15-byte head, the base64url ciphertext, a tail of a few hundred bytes. */
function envelopes(): Array<{ envelope: Buffer; span: { start: number; end: number }; to: string }> {
  const shared = Buffer.from(randomBytes(Math.ceil((SIZE * 3) / 4)).toString('base64url').slice(0, SIZE), 'latin1')
  const head = Buffer.from('{"ciphertext":"', 'latin1')
  return Array.from({ length: N }, (_, i) => {
    const to = `a${String(i).padStart(3, '0')}`
    const tail = Buffer.from(`","protected":"eyJlbmMiOiJBMjU2R0NNIn0","header":{"alg":"ECDH-ES+A256KW","srb_to":"${to}","epk":"${randomBytes(90).toString('base64url')}"},"encrypted_key":"${randomBytes(40).toString('base64url')}","iv":"${randomBytes(12).toString('base64url')}","tag":"${randomBytes(16).toString('base64url')}"}`)
    return { envelope: Buffer.concat([head, shared, tail]), span: { start: head.length, end: head.length + shared.length }, to }
  })
}

async function run(layout: 'whole' | 'shared'): Promise<{ ms: number; written: number; dbBytes: number; commits: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-bench-inbox-'))
  const file = join(dir, 'saraban.sqlite')
  const db = Db.open(file)
  const inbox = new InboxStore(db)
  const parts = envelopes()
  const w0 = wchar()
  const t0 = performance.now()
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < parts.length; i = next++) {
      const { envelope, span, to } = parts[i]!
      const msg: NewInboxMessage = {
        messageId: randomUUID(), recipientAgency: to, senderAgency: 'hq', profile: 'jose-v2', envelope, envelopeSha256: sha256(envelope),
        letterJson: '{}', signerJson: '{}', receivedAt: Date.now(), receipt: 'r', senderLetterId: 'l1',
        content: layout === 'shared' ? sharedContent(envelope, span) : undefined,
      }
      await db.write(() => inbox.insert(msg, []))
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const ms = performance.now() - t0
  const commits = db.stats.commits
  await db.close() // checkpoints the WAL into the file
  const written = wchar() - w0
  const dbBytes = statSync(file).size
  const check = Db.open(file)
  const reread = new InboxStore(check)
  const ids = check.sqlite.prepare('SELECT message_id FROM inbox_messages').pluck().all() as string[]
  const bad = ids.filter((id) => sha256(reread.getEnvelope(id)!) !== check.sqlite.prepare('SELECT envelope_sha256 FROM inbox_messages WHERE message_id = ?').pluck().get(id))
  await check.close()
  rmSync(dir, { recursive: true, force: true })
  if (bad.length > 0 || ids.length !== N) throw new Error(`${layout}: ${bad.length} envelopes differ, ${ids.length} of ${N} stored`)
  return { ms, written, dbBytes, commits }
}

console.log(`${N} recipients on one node, envelopes of ${mb(SIZE)} sharing their content, ${CONCURRENCY} in flight, synchronous=FULL`)
for (let r = 0; r < Number(values.rounds); r++) {
  for (const layout of r % 2 === 0 ? (['whole', 'shared'] as const) : (['shared', 'whole'] as const)) {
    const x = await run(layout)
    console.log(`${layout.padEnd(6)}  ${(x.ms / 1000).toFixed(2)} s  written ${mb(x.written)}  database ${mb(x.dbBytes)}  commits ${x.commits}`)
  }
}
