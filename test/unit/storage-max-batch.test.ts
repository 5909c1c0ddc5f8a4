// storage.maxBatch (issue 16 item 1, README configuration): the node's group commit carries at most
// that many writes per transaction; 1 turns it off (npm run bench -- --case group-commit compares both).
import t from 'tap'
import { testNet } from '../helpers/nodes.js'

for (const [maxBatch, commits] of [[undefined, 1], [1, 6], [4, 2]] as const) {
  t.test(`storage.maxBatch ${maxBatch ?? '(default 64)'}: six writes queued in one turn take ${commits} commit(s)`, async (t) => {
    const net = await testNet(['moi'], maxBatch === undefined ? {} : { extra: { storage: { maxBatch } } })
    t.teardown(() => net.stop())
    const node = net.nodes['moi']!
    await node.start()
    const db = node.ctx!.db
    // Which transaction each write ran in (a write of the node's own may share one: it changes nothing here).
    const values = await Promise.all(Array.from({ length: 6 }, (_, i) => db.write(() => [i, db.batchId] as const)))
    t.same(values.map(([i]) => i), [0, 1, 2, 3, 4, 5], 'each caller learns its own value')
    t.equal(new Set(values.map(([, batch]) => batch)).size, commits)
  })
}
