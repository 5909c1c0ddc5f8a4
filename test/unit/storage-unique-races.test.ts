// Issue 19 item 2, "unique-constraint races mapped to their §7.1 / §17.5 answers rather than a 500":
// four node processes (child processes, each its own connection to one SQLite file) store the same
// inbound letter at the same moment. Every one must get an answer the receive path maps to the
// protocol: the first stores it, the others find it stored (§7.1: the same message id is a replay,
// answered with the first receipt), and a copy under another message id is ERR_LETTER_DUPLICATE (§17.5,
// 409), never a raw SQLITE_CONSTRAINT error (a 500). On SQLite this holds because the check and the
// insert run in one BEGIN IMMEDIATE transaction (Db.write), which serialises the processes.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db, InboxStore } from '../../src/storage/index.js'

const REPO = new URL('../..', import.meta.url)
const SRC = new URL('../../src/', import.meta.url).href

/** Each child waits for the same instant, stores one message, and prints what it got. */
const CHILD = `
import { Db, InboxStore } from '${SRC}storage/index.ts'
const db = Db.open(process.env.DB)
const inbox = new InboxStore(db)
const id = process.env.MESSAGE_ID
const msg = { messageId: id, recipientAgency: 'mof', senderAgency: 'moi', profile: 'jose-v1', envelope: Buffer.from('envelope ' + process.env.BYTES),
  envelopeSha256: 'sha-' + process.env.BYTES, letterJson: '{}', signerJson: '{}', receivedAt: 1, receipt: 'receipt of ' + id, senderLetterId: process.env.LID }
while (Date.now() < Number(process.env.AT)) {} // all four leave the barrier together
let out
try {
  const r = await db.write(() => inbox.insert(msg, []))
  out = r.inserted ? 'stored' : 'found ' + r.envelopeSha256 + ' ' + r.receipt
} catch (e) {
  out = 'error ' + (e.code ?? e.message)
}
await db.close()
process.stdout.write(out)
`

function child(env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    p.on('error', reject)
    p.on('close', () => resolve(out))
  })
}

t.test('four processes store the same letter at once: one stores it, the others get their protocol answer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-unique-races-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'saraban.sqlite')
  await Db.open(file).close() // migrated once, before the race
  const at = String(Date.now() + 3000) // after the four children have loaded

  // §7.1: the same message id and bytes from four processes (a sender's retry reaching another process).
  const same = await Promise.all([1, 2, 3, 4].map(() => child({ DB: file, AT: at, MESSAGE_ID: 'm-same', BYTES: 'same', LID: 'lid-a' })))
  t.same(same.filter((o) => o === 'stored'), ['stored'], `stored once (${same.join('; ')})`)
  t.same(same.filter((o) => o !== 'stored'), Array(3).fill('found sha-same receipt of m-same'), 'the others find it, with its digest and receipt: a replay')

  // §17.5: one letter (lid) under four message ids at once.
  const at2 = String(Date.now() + 3000)
  const copies = await Promise.all([1, 2, 3, 4].map((i) => child({ DB: file, AT: at2, MESSAGE_ID: `m-copy-${i}`, BYTES: `copy-${i}`, LID: 'lid-b' })))
  t.same(copies.filter((o) => o === 'stored'), ['stored'], `stored once (${copies.join('; ')})`)
  t.same(copies.filter((o) => o !== 'stored'), Array(3).fill('error ERR_LETTER_DUPLICATE'), 'the others: ERR_LETTER_DUPLICATE (409), not a constraint error')

  const db = Db.open(file)
  t.teardown(() => db.close())
  const inbox = new InboxStore(db)
  t.equal(db.sqlite.prepare('SELECT count(*) FROM inbox_messages').pluck().get(), 2, 'two letters in the inbox')
  t.ok(inbox.messageOfLetter({ recipientAgency: 'mof', senderAgency: 'moi', senderLetterId: 'lid-b' }), 'the copy that won holds lid-b')
})
