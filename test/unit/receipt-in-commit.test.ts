// A receipt signed at the end of the storing transaction (PROTOCOL.md §20.4, services/receive/receipt.ts
// signInCommit) is handed to the caller, with its Saraban-Log-Proof value (§20.5), only once the hook
// that signed and stored it committed. A hook rolled back after it ran (its log entries could not be
// built) must leave the caller nothing: the message is then without its receipt, and the caller signs
// one after the commit, so a receipt never leaves the node unless it is the stored one (§7.1).
// Real SQLite, real jose-v1 receipts; the log is the WriteLog seam of storage/db.ts.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/index.js'
import { signInCommit, type ReceiveLog, type ReceiptKeeper } from '../../src/services/receive/receipt.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { signCheckpoint } from '../../src/services/log/checkpoints.js'
import type { ReceiptClaims } from '../../src/crypto/types.js'
import { testTrust } from '../helpers/federation.js'
import { signerOf } from '../vectors/fixtures.js'

const { fed } = await testTrust()
const signer = signerOf(fed, 'mof')
const profile = defaultProfiles().get('jose-v1')
const dir = mkdtempSync(join(tmpdir(), 'saraban-in-commit-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const db = Db.open(join(dir, 'saraban.sqlite'))
t.teardown(() => db.close())
db.sqlite.exec('CREATE TABLE receipts (mid TEXT PRIMARY KEY, text TEXT NOT NULL)')

// The appender's seam: its drain after a hook can be made to fail once (an entry that cannot be built).
let failHookDrain = false
let drains = 0
db.afterEachWrite({
  drain: () => {
    drains++
    if (failHookDrain && db.batchId !== undefined && drains % 2 === 0) throw new Error('log: entry could not be built')
    return 0
  },
  flush: () => {}, mark: () => 0, undo: () => {},
})
const checkpoint = signCheckpoint({ size: 1, root: Buffer.alloc(32, 1), time: '2026-12-07T07:00:00.000Z' }, signer)
const log: ReceiveLog = {
  indexOf: () => 0,
  covering: async () => 'unused',
  inCommit: { signUncommitted: () => ({ size: 1, jws: checkpoint }), adopt: () => {}, prove: (_a, index, size) => ({ size, index, proof: [] }) },
}
const keeper: ReceiptKeeper = {
  save: (mid, text) => db.sqlite.prepare('INSERT INTO receipts (mid, text) VALUES (?, ?) ON CONFLICT DO NOTHING').run(mid, text).changes === 1,
  stored: (mid) => db.sqlite.prepare<[string], string>('SELECT text FROM receipts WHERE mid = ?').pluck().get(mid),
}
const MID1 = '00000000-0000-4000-8000-0000000000a1'
const MID2 = '00000000-0000-4000-8000-0000000000a2'
const claims = (mid: string): ReceiptClaims => ({ v: 1, mid, from: 'moi', to: 'mof', receivedAt: '2026-12-07T07:00:00.000Z', envelopeSha256: 'cd'.repeat(32), profile: 'jose-v1' })

t.test('committed: the caller gets the stored receipt and the proof header', async (t) => {
  drains = 0
  const slot = await db.write(() => signInCommit({ db, log }, keeper, profile, claims(MID1), signer))
  t.ok(slot.receipt, 'a receipt')
  t.equal(keeper.stored(MID1), `${slot.receipt!.toString('latin1')}`, 'the one stored')
  t.equal(slot.logProof, '{"size":1,"index":0,"proof":[]}')
})

t.test('the hook rolled back after it ran: the caller gets nothing, nothing is stored', async (t) => {
  drains = 0
  failHookDrain = true
  t.teardown(() => { failHookDrain = false })
  const slot = await db.write(() => signInCommit({ db, log }, keeper, profile, claims(MID2), signer))
  t.equal(slot.receipt, undefined, 'no receipt handed out')
  t.equal(slot.logProof, undefined)
  t.equal(keeper.stored(MID2), undefined, 'and none stored: the caller signs one after the commit')
})
