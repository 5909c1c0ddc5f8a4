// Issue 14 coverage gaps (PROTOCOL.md §6.2, §18.5, §20.3–§20.5, §20.7), between real nodes over real
// mTLS: the receipt of a notice carries the receiver's log checkpoint covering the notice's
// message.received entry, like a letter's; the letter's evidence bundle carries the notice's
// inclusion proof in the log of the notice's recipient, and verify-evidence checks it; then each
// kind of row of a received notice changed in a copy of the SQLite file (an adversary also empties
// log_pending) is found by `log verify`.
import t from 'tap'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { verifyEvidence } from '../../src/services/evidence/index.js'
import { readLayout } from '../../src/evidence/layout.js'
import { storedReceiptClaims } from '../../src/services/log/receipt-claims.js'
import { verifyCheckpoint } from '../../src/services/log/checkpoints.js'
import { verifyLog } from '../../src/services/log/verify.js'
import { openReadOnly } from '../../src/storage/log.js'
import { testNet, call, waitFor, waitForRecipient, thaiLetter, type TestNet } from '../helpers/nodes.js'

let net: TestNet
const work = mkdtempSync(join(tmpdir(), 'saraban-log-coverage-'))
let letterId = ''
let mid = ''

t.before(async () => {
  net = await testNet(['moi', 'mof'], { profiles: ['jose-v1'] })
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  if (sent.status !== 202) throw new Error(`send: ${JSON.stringify(sent.body)}`)
  letterId = sent.body.id
  mid = (await waitForRecipient(moi, letterId, 'delivered')).recipients[0].messageId
  const r = await call(mof, 'POST', `/api/v1/inbox/${mid}/register`, { action: 'เสนอปลัด' })
  if (r.status !== 200) throw new Error(`register: ${JSON.stringify(r.body)}`)
  await waitFor('the acceptance delivered', async () => ((await call(moi, 'GET', `/api/v1/letters/${letterId}`)).body.recipients[0].state === 'accepted' ? true : undefined))
})
t.teardown(async () => {
  await net?.stop()
  rmSync(work, { recursive: true, force: true })
})

t.test('the receipt of a notice carries the receiver\'s checkpoint covering its entry (§6.2, §20.5)', async (t) => {
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  // mof sent the acceptance; moi received it and signed the receipt mof holds.
  const held = await waitFor('mof holds the notice\'s receipt', async () => mof.ctx!.db.sqlite.prepare<[], { mid: string; receipt: string }>(
    `SELECT m.message_id AS mid, m.receipt FROM outbox_messages m JOIN letters l ON l.id = m.letter_id WHERE l.kind = 'notice' AND m.status = 'delivered'`).get())
  const claims = storedReceiptClaims(held.receipt)
  t.ok(claims.log, 'the notice receipt has log')
  const cp = verifyCheckpoint(claims.log!.checkpoint)
  t.equal(cp.agency, 'moi', 'a checkpoint of the receiver\'s log')
  t.ok(claims.log!.index < cp.body.size, 'covering the entry')
  const stored = moi.ctx!.db.sqlite.prepare<[string], { receipt: string }>(`SELECT receipt FROM notices WHERE message_id = ? AND direction = 'in'`).get(held.mid)!
  t.equal(stored.receipt, held.receipt, 'moi stored the receipt it signed')
  const entry = moi.ctx!.db.sqlite.prepare<[number], { entry: Buffer }>(`SELECT entry FROM log_entries WHERE agency = 'moi' AND idx = ?`).get(claims.log!.index)!
  t.match(JSON.parse(entry.entry.toString()), { type: 'message.received', mid: held.mid }, 'the index is the notice\'s message.received')
})

t.test('the evidence bundle proves the notice received in the log of its recipient (§18.6, §20.7)', async (t) => {
  const moi = net.nodes.moi!
  const archive: Buffer = (await call(moi, 'GET', `/api/v1/letters/${letterId}/evidence`)).body
  const n = readLayout(archive).manifest!.notices![0]!
  t.same(n.log?.map((p) => [p.type, p.log]), [['message.received', 'moi']], 'the notice carries its proof')
  const r = await verifyEvidence(archive, { anchors: new TrustAnchors([net.fed.root.cert]), profiles: defaultProfiles() })
  t.ok(r.ok, JSON.stringify(r.findings.filter((f) => !f.ok)))
  t.ok(r.findings.some((f) => f.part.startsWith(`notices/${n.messageId}/log/`) && f.ok && /is entry \d+ of the tree of \d+/.test(f.detail)), 'the notice\'s inclusion proof verifies')
})

t.test('every changed row of a received notice is found by log verify (§20.3)', async (t) => {
  const moi = net.nodes.moi!
  const file = join(moi.ctx!.config.dataDir, 'saraban.sqlite')
  await moi.stop()
  let n = 0
  const tampered = (sql: string) => {
    const dir = join(work, `copy-${++n}`)
    mkdirSync(dir)
    const copy = join(dir, 'saraban.sqlite')
    copyFileSync(file, copy)
    const db = new Database(copy)
    db.pragma('foreign_keys = OFF')
    db.exec(sql)
    db.exec('DELETE FROM log_pending')
    db.close()
    const ro = openReadOnly(copy)
    try {
      return verifyLog(ro)
    } finally {
      ro.close()
    }
  }
  const clean = tampered('SELECT 1')
  t.same(clean.differences, [], 'the untouched copy verifies clean')
  const cases: Array<[string, string, RegExp]> = [
    ['notice receipt replaced', `UPDATE notices SET receipt = (SELECT receipt FROM inbox_messages LIMIT 1) WHERE direction = 'in'`, /message\.stored|receiptSha256/],
    ['notice receive time changed', `UPDATE notices SET created_at = created_at + 1000 WHERE direction = 'in'`, /message\.received|receivedAt/],
    ['notice record edited', `UPDATE notices SET notice_json = replace(notice_json, 'accepted', 'rejected') WHERE direction = 'in'`, /recordSha256/],
    ['notice sender changed', `UPDATE notices SET from_agency = 'dga' WHERE direction = 'in'`, /from/],
    ['received notice deleted', `DELETE FROM notices WHERE direction = 'in'`, /no row gives this entry/],
  ]
  for (const [what, sql, expect] of cases) {
    const r = tampered(sql)
    t.notOk(r.ok, `${what}: found`)
    t.ok(r.differences.some((d) => expect.test(`${d.type} ${d.what}`)), `${what}: ${r.differences[0] ? `${r.differences[0].type} ${r.differences[0].what}` : 'nothing'}`)
  }
  await moi.start()
})
