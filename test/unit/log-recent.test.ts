// Proofs of the log's newest entries read from memory (storage/log-recent.ts, issue 14 §6) and the
// subtree cache kept from 64 leaves up (storage/log.ts CACHED_LEVEL): every proof is the one RFC 9162
// gives over the stored leaves alone, after appends in batches, a rolled-back append, another
// connection's appends and proofs in older trees.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/index.js'
import { appendLeaves, CACHED_LEVEL, LogStore } from '../../src/storage/log.js'
import { StoredLog } from '../../src/services/log/stored-log.js'
import { verifyLog } from '../../src/services/log/verify.js'
import { consistencyProof, inclusionProof, rootHash } from '../../src/tlog/tree.js'

const entry = (i: number) => Buffer.from(`{"i":${i}}`)

/** Every inclusion proof in trees near the head, and a few consistency proofs, as the node serves them
 *  (StoredLog's readers) against RFC 9162 over the stored leaf hashes alone. */
function sameProofs(t: Test, db: Db, agency: string, what: string): void {
  const store = new LogStore(db.sqlite)
  const log = new StoredLog(db)
  const plain = store.leafReader(agency)
  const size = store.head(agency).size
  for (const n of new Set([size, size - 1, Math.floor(size / 2)].filter((n) => n >= 1))) {
    // Inside a write, as the receipt's proof is made (outside one, every proof reads the stored tree).
    db.sqlite.exec('BEGIN')
    const leaves = log.leafHashes(agency), subtrees = log.subtrees(agency)
    const differ = [...new Set([0, 1, n - 70, n - 65, n - 64, n - 33, n - 9, n - 3, n - 2, n - 1])].filter((i) => i >= 0 && i < n).filter((i) => {
      const proof = inclusionProof(i, n, leaves, subtrees)
      const expected = inclusionProof(i, n, plain)
      return proof.length !== expected.length || proof.some((h, k) => !h.equals(expected[k]!))
    })
    t.same(differ, [], `${what}: inclusion proofs in ${n}`)
    for (const m of [1, Math.max(1, n - 3), n]) {
      t.same(consistencyProof(m, n, log.leafHashes(agency), log.subtrees(agency)), consistencyProof(m, n, plain), `${what}: consistency ${m} → ${n}`)
    }
    t.ok(rootHash(n, log.leafHashes(agency), log.subtrees(agency)).equals(rootHash(n, plain)), `${what}: root of ${n}`)
    db.sqlite.exec('COMMIT')
  }
}

t.test('proofs of the newest entries, read from memory, are the stored tree\'s', async (t) => {
  const db = Db.open(':memory:')
  t.teardown(() => db.close())
  let next = 0
  for (const n of [1, 2, 5, 13, 1, 64, 3, 100, 7, 300, 2]) {
    db.tx(() => appendLeaves(db.sqlite, 'moi', Array.from({ length: n }, () => entry(next++))))
    sameProofs(t, db, 'moi', `after a batch of ${n} (size ${next})`)
  }
  // Another log appended in between: each keeps its own.
  db.tx(() => appendLeaves(db.sqlite, 'mof', [entry(1), entry(2), entry(3)]))
  sameProofs(t, db, 'moi', 'moi after mof appended')
  sameProofs(t, db, 'mof', 'mof')
  // A transaction that appends and rolls back leaves the head where it was: the memory of its appends
  // is not used, and the next append starts again from the head.
  t.throws(() => db.tx(() => {
    appendLeaves(db.sqlite, 'moi', [entry(-1), entry(-2)])
    throw new Error('rolled back')
  }))
  sameProofs(t, db, 'moi', 'after a rolled-back append')
  db.tx(() => appendLeaves(db.sqlite, 'moi', [entry(next++)]))
  sameProofs(t, db, 'moi', 'after the next append')
})

t.test('inside a write the newest leaves come from memory; outside, proofs read the stored tree', async (t) => {
  const db = Db.open(':memory:')
  t.teardown(() => db.close())
  db.tx(() => appendLeaves(db.sqlite, 'moi', Array.from({ length: 20 }, (_, i) => entry(i))))
  const log = new StoredLog(db)
  const store = new LogStore(db.sqlite)
  const right = inclusionProof(19, 20, store.leafReader('moi'))
  // Whoever runs the node overwrites the newest stored leaf hash (the head is left as it was).
  db.sqlite.prepare(`UPDATE log_entries SET leaf_hash = ? WHERE agency = 'moi' AND idx = 18`).run(Buffer.alloc(32, 9))
  const stored = inclusionProof(19, 20, store.leafReader('moi'))
  t.notSame(stored, right, 'the stored tree now gives another proof')
  t.same(inclusionProof(19, 20, log.leafHashes('moi'), log.subtrees('moi')), stored, 'outside a write: the stored tree, as peers are served')
  db.sqlite.exec('BEGIN')
  t.same(inclusionProof(19, 20, log.leafHashes('moi'), log.subtrees('moi')), right, 'inside a write: the leaves this connection appended')
  db.sqlite.exec('ROLLBACK')
})

t.test('another connection\'s appends: the memory of this one is not used', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-log-recent-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const a = Db.open(join(dir, 'node.db'))
  const b = Db.open(join(dir, 'node.db'))
  t.teardown(() => Promise.all([a.close(), b.close()]))
  a.tx(() => appendLeaves(a.sqlite, 'moi', Array.from({ length: 40 }, (_, i) => entry(i))))
  b.tx(() => appendLeaves(b.sqlite, 'moi', Array.from({ length: 30 }, (_, i) => entry(100 + i))))
  sameProofs(t, a, 'moi', 'a, after b appended')
  a.tx(() => appendLeaves(a.sqlite, 'moi', [entry(200)]))
  sameProofs(t, a, 'moi', 'a, appending again')
  sameProofs(t, b, 'moi', 'b')
})

t.test(`the subtree cache keeps complete subtrees of 2^${CACHED_LEVEL} leaves and more, and verify checks them`, async (t) => {
  const db = Db.open(':memory:')
  t.teardown(() => db.close())
  const N = 300
  db.tx(() => appendLeaves(db.sqlite, 'moi', Array.from({ length: N }, (_, i) => entry(i))))
  const store = new LogStore(db.sqlite)
  // Subtrees of 64 leaves and more closed by 300 leaves: 4 of 64, 2 of 128, 1 of 256.
  t.equal(store.nodeCount('moi'), 7)
  t.equal(store.node('moi', 1, 0), undefined, 'no subtree of 2 leaves is stored')
  t.ok(store.node('moi', 8, 0), 'the subtree of 256 leaves is')
  // (the entries are not §20.3 entries, so verify reports them: only what it says of the tree counts here)
  const tree = () => verifyLog(db.sqlite, { agency: 'moi' }).differences.map((d) => d.what).filter((w) => /subtree|cache/.test(w))
  t.same(tree(), [], 'verify: the cache as written is right')
  // One written before (every level kept): verify checks the lower nodes too.
  db.sqlite.prepare('INSERT INTO log_nodes (agency, level, pos, hash) VALUES (?, 1, 0, ?)').run('moi', Buffer.alloc(32))
  t.same(tree(), ['the stored subtree at level 1, position 0 differs from the one the entries give'])
  db.sqlite.prepare('DELETE FROM log_nodes WHERE level = 1').run()
  db.sqlite.prepare('UPDATE log_nodes SET hash = ? WHERE level = 7 AND pos = 1').run(Buffer.alloc(32))
  t.same(tree(), ['the stored subtree at level 7, position 1 differs from the one the entries give'])
  db.sqlite.prepare('DELETE FROM log_nodes WHERE level = 7 AND pos = 1').run()
  t.same(tree(), ['the stored subtree at level 7, position 1 is missing', 'the subtree cache holds 6 nodes, the entries give 7'])
})
