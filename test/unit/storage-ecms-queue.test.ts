// The e-CMS pull queue (migration 021; issue 18 §3) on a real SQLite file: an item comes back until it
// is deleted, delete is idempotent, a deleted item can be fetched again, an item withdrawn before any
// pull is never handed out, and everything survives closing and reopening the file (a node restart).
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/index.js'
import { EcmsQueueStore, type NewCorrelation } from '../../src/storage/ecms-queue.js'

function tmpFile(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-ecms-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'saraban.sqlite')
}

const corr = (messageId: string, over: Partial<NewCorrelation> = {}): NewCorrelation => ({
  direction: 'in', agency: 'mof', senderAgency: 'moi', recipientAgency: 'mof', ecmsLetterId: 'มท 0201.2/ว 1590', correspondenceDate: '2026-12-01',
  senderDept: '00001', receiverDept: '00002', messageId, letterId: null, createdAt: 1, ...over,
})

t.test('an item comes back until deleted; delete is idempotent; deleted items stay fetchable', async (t) => {
  const file = tmpFile(t)
  let db = Db.open(file)
  let store = new EcmsQueueStore(db)
  const [a, b] = await db.write(() => {
    const c1 = store.correlate(corr('m1'))
    const c2 = store.correlate(corr('m2', { ecmsLetterId: 'มท 0201.2/ว 1591' }))
    t.equal(store.correlate(corr('m1')).id, c1.id, 'correlation is idempotent by message id')
    const i1 = store.enqueue({ processId: 'p1', agency: 'mof', kind: 'GovernmentDocument', correlationId: c1.id, factsJson: '{}', createdAt: 1 })
    t.equal(store.enqueue({ processId: 'p1bis', agency: 'mof', kind: 'GovernmentDocument', correlationId: c1.id, factsJson: '{}', createdAt: 1 }).processId, 'p1', 'enqueue is idempotent')
    const i2 = store.enqueue({ processId: 'p2', agency: 'mof', kind: 'GovernmentDocument', correlationId: c2.id, factsJson: '{}', createdAt: 2 })
    return [i1, i2]
  })
  t.equal((await db.write(() => store.pullNext('mof', 10)))?.processId, a.processId)
  t.equal((await db.write(() => store.pullNext('mof', 11)))?.processId, a.processId, 'not deleted: handed out again')
  t.equal(await db.write(() => store.pullNext('moi', 11)), undefined, 'another agency has its own queue')
  // The client crashed between pull and delete, and the node restarts.
  await db.close()
  db = Db.open(file)
  store = new EcmsQueueStore(db)
  const again = await db.write(() => store.pullNext('mof', 12))
  t.equal(again?.processId, a.processId, 'after a restart the item is still there')
  t.equal(again?.pulls, 3)
  t.equal(await db.write(() => store.delete(again!.seq, 13)), true)
  t.equal(await db.write(() => store.delete(again!.seq, 14)), false, 'a second delete changes nothing')
  t.equal((await db.write(() => store.pullNext('mof', 15)))?.processId, b.processId, 'the next item')
  t.equal(store.item('mof', a.processId)?.deletedAt, 13, 'a deleted item is kept')
  t.equal(store.item('moi', a.processId), undefined, 'a ProcessID belongs to its agency')
  const found = store.byKey({ agency: 'mof', direction: 'in', ecmsLetterId: 'มท 0201.2/ว 1590', correspondenceDate: '2026-12-01' })
  t.equal(found.length, 1)
  t.equal(store.itemOf('mof', 'GovernmentDocument', found[0]!.id)?.processId, a.processId, 'found again by e-CMS key')
  await db.close()
})

t.test('withdrawn before any pull: never handed out; after a pull: kept', async (t) => {
  const db = Db.open(tmpFile(t))
  const store = new EcmsQueueStore(db)
  await db.write(() => {
    const c1 = store.correlate(corr('w1'))
    const c2 = store.correlate(corr('w2'))
    store.enqueue({ processId: 'q1', agency: 'mof', kind: 'GovernmentDocument', correlationId: c1.id, factsJson: '{}', createdAt: 1 })
    store.enqueue({ processId: 'q2', agency: 'mof', kind: 'GovernmentDocument', correlationId: c2.id, factsJson: '{}', createdAt: 2 })
    t.equal(store.withdrawUnpulled(c1.id, 'GovernmentDocument', 3), true)
  })
  t.equal(store.pending('mof'), 1)
  const next = await db.write(() => store.pullNext('mof', 4))
  t.equal(next?.processId, 'q2', 'the withdrawn item is skipped')
  t.equal(await db.write(() => store.withdrawUnpulled(next!.correlationId, 'GovernmentDocument', 5)), false, 'a pulled item is not taken back')
  t.equal((await db.write(() => store.pullNext('mof', 6)))?.processId, 'q2')
  await db.close()
})
