// The recipients' inclusion proofs queued by the sender (PROTOCOL.md §20.7; migration 019) keep each
// receipt checkpoint's text once (migration 038): the rows of receipts that share a checkpoint point
// at one copy, every row reads back its own receipt's checkpoint, rows written before 038 keep theirs,
// and a rolled-back write leaves no checkpoint behind.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/index.js'
import { ReceivedProofStore } from '../../src/storage/received-proofs.js'

const dir = mkdtempSync(join(tmpdir(), 'saraban-received-proofs-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const db = Db.open(join(dir, 'saraban.sqlite'))
t.teardown(() => db.close())
const store = new ReceivedProofStore(db)
// Checkpoint-shaped texts of a few KB (their content is not checked here: the fetcher verifies them).
const cp = (n: number) => `eyJhbGciOiJFUzI1NiJ9.${Buffer.alloc(3000, n).toString('base64url')}.sig${n}`
const key = (mid: string, checkpoint: string, index = 0) => ({ messageId: mid, agency: 'mof', index, size: index + 1, entry: Buffer.from(`{"mid":"${mid}"}`), checkpoint })
const texts = () => db.sqlite.prepare('SELECT count(*) FROM log_received_checkpoints').pluck().get() as number

t.test('receipts that share a checkpoint keep one copy; each row reads its own', async (t) => {
  await db.write(() => {
    store.enqueue(key('m1', cp(1), 0), 0)
    store.enqueue(key('m2', cp(1), 1), 0)
    store.enqueue(key('m3', cp(2), 2), 0)
  })
  await db.write(() => store.enqueue(key('m4', cp(1), 3), 0))
  t.equal(texts(), 2, 'two checkpoints, two texts')
  t.equal(store.get('m1')!.checkpoint, cp(1))
  t.equal(store.get('m2')!.checkpoint, cp(1))
  t.equal(store.get('m3')!.checkpoint, cp(2))
  t.equal(store.get('m4')!.checkpoint, cp(1))
  t.same(store.due(1, 10).map((r) => [r.messageId, r.checkpoint === cp(r.messageId === 'm3' ? 2 : 1)]), [['m1', true], ['m2', true], ['m3', true], ['m4', true]])
  const rowBytes = db.sqlite.prepare('SELECT max(length(checkpoint)) FROM log_received_proofs').pluck().get() as number
  t.equal(rowBytes, 0, 'no row holds a copy of its own')
})

t.test('a row from before migration 038 reads its own checkpoint', async (t) => {
  await db.write(() => db.sqlite.prepare(`INSERT INTO log_received_proofs (message_id, agency, idx, size, entry, checkpoint, next_attempt_at)
    VALUES ('old', 'mof', 0, 1, x'00', ?, 0)`).run(cp(9)))
  t.equal(store.get('old')!.checkpoint, cp(9))
})

t.test('a rolled-back write leaves no checkpoint text', async (t) => {
  const before = texts()
  await t.rejects(db.write(() => {
    store.enqueue(key('m5', cp(3)), 0)
    throw new Error('the delivery write failed')
  }))
  t.equal(texts(), before)
  t.equal(store.get('m5'), undefined)
  // Another checkpoint written first may take the rolled-back row's id: m5 must not point at it.
  await db.write(() => store.enqueue(key('m6', cp(4)), 0))
  await db.write(() => store.enqueue(key('m5', cp(3)), 0))
  t.equal(store.get('m5')!.checkpoint, cp(3), 'queued again later, it finds no stale reference')
  t.equal(store.get('m6')!.checkpoint, cp(4))
  await db.write(() => store.enqueue(key('m7', cp(3)), 0))
  t.equal(store.get('m7')!.checkpoint, cp(3), 'a committed checkpoint is found again')
  t.equal(texts(), before + 2)
})
