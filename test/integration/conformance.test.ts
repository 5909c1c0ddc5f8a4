// The conformance kit against our own node over real mTLS (issue 15 "The kit"): a federation made by
// --make-federation, the node started from the target/node.json it wrote, every case passing; and
// PROTOCOL.md Annex A lists exactly the kit's cases, one to one.
import t, { type Test } from 'tap'
import { Parser } from 'tap-parser'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/index.js'
import { createContext, type AppContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import { freePort } from '../../src/cli/free-port.js'
import { makeFederation, type MakeFederationOptions } from '../../src/conformance/federation.js'
import { loadCredentials } from '../../src/conformance/credentials.js'
import { Session } from '../../src/conformance/session.js'
import { runConformance, plan } from '../../src/conformance/run.js'
import { CASES } from '../../src/conformance/cases.js'
import { Listener } from '../../src/conformance/listen.js'
import { expectProblem } from '../../src/conformance/expect.js'
import { receiptCase, RECEIPT_CASES } from '../../src/conformance/receipt-cases.js'
import type { ReceiptContext } from '../../src/conformance/bad-receipts.js'
import { signV1Receipt } from '../../src/crypto/jose/v1-receipt.js'
import { signCmsReceipt } from '../../src/crypto/cms/v1-receipt.js'
import { annexOf, annexTable } from '../docs/conformance-annex.js'

const signReceiptSync = (c: ReceiptContext) => (c.profile.receiptMediaType === 'application/cms' ? signCmsReceipt : signV1Receipt)(c.claims, c.me)

const dir = mkdtempSync(join(tmpdir(), 'saraban-conformance-'))
const contexts: AppContext[] = []
t.teardown(async () => {
  for (const c of contexts) await c.close()
  rmSync(dir, { recursive: true, force: true })
})

/** A throwaway federation in dir/sub (--make-federation), our node started from its target/node.json,
 *  and a kit session with --listen (at the kit agency's endpoint) and --target-api (our API). */
async function startTarget(t: Test, sub: string, opts: Pick<MakeFederationOptions, 'profiles' | 'kitProfiles' | 'targetKeyType' | 'hostingNode'> = {}) {
  const [port, kitPort] = [await freePort(), await freePort()]
  const made = await makeFederation(join(dir, sub), { targetUrl: `https://127.0.0.1:${port}`, kitUrl: `https://127.0.0.1:${kitPort}`, ...opts })
  const config = loadConfig({ file: made.targetConfig, env: {}, packageRoot: process.cwd() })
  const ctx = await createContext(config, { log: createLogger('silent') })
  contexts.push(ctx)
  const { apiUrl } = await ctx.listen()
  const session = new Session(await loadCredentials(made.credentials), made.targetAgency, `https://127.0.0.1:${port}`)
  // --listen: the kit receives the letters our node sends to the kit's agency (PROTOCOL.md §3.1, §7.2).
  const listener = new Listener(session)
  await listener.start('127.0.0.1', kitPort)
  t.teardown(() => listener.close())
  session.listener = listener
  session.listenWaitMs = 60_000
  // --target-api: the bad-receipt cases send their letters through our API and read the outcome (§7.2).
  session.targetApi = { url: apiUrl, key: 'conformance-key' }
  return { session, listener, apiUrl, ctx }
}

/** A letter from the target to the kit's agency through our API, as a saraban system sends one. */
function sendToKit(apiUrl: string) {
  return fetch(`${apiUrl}/api/v1/letters`, {
    method: 'POST', headers: { authorization: 'Bearer conformance-key', 'content-type': 'application/json' },
    body: JSON.stringify({ letter: { kind: 'EXTERNAL', number: 'ทดสอบ 1/1', date: '2026-11-25', subject: 'ถึงชุดทดสอบ', salutation: 'เรียน ผู้ทดสอบ',
      recipients: [{ agency: 'kit-a' }], body: 'ทดสอบการรับ', closing: 'ขอแสดงความนับถือ', signer: { name: 'ผู้ส่ง', position: 'ผู้ทดสอบ' } } }),
  })
}

/** TAP version 14 as a TAP consumer reads it: no parse failures, the plan met, the counts. */
function parseTap(lines: readonly string[]): Promise<{ ok: boolean; count: number; pass: number; fail: number; skip: number; failures: unknown[] }> {
  return new Promise((resolve) => {
    const p = new Parser((r) => resolve({ ok: r.ok, count: r.count, pass: r.pass, fail: r.fail, skip: r.skip, failures: r.failures }))
    p.end(lines.join('\n') + '\n')
  })
}

t.test('every case passes against our node', async (t) => {
  const { session, apiUrl, ctx } = await startTarget(t, 'ec')
  const sent = await sendToKit(apiUrl)
  t.equal(sent.status, 202, 'our node queued a letter to the kit')
  const lines: string[] = []
  const summary = await runConformance(session, { write: (l) => lines.push(l) })
  const failed = summary.results.filter((r) => r.outcome !== 'pass')
  t.same(failed, [], lines.filter((l) => !l.startsWith('ok ')).join('\n'))
  t.equal(lines[0], 'TAP version 14')
  t.equal(lines[2], `1..${summary.results.length}`)
  const tap = await parseTap(lines)
  t.same([tap.ok, tap.count, tap.pass, tap.fail, tap.failures], [true, summary.results.length, summary.results.length, 0, []], 'a TAP parser reads the output: every point, none failed')
  // The kit's receipt (signed by kit-a, §6.2) satisfied our node as a sender (§6.3).
  const id = ((await sent.json()) as { id: string }).id
  let status = ''
  for (let i = 0; i < 200 && status !== 'delivered'; i++) {
    const r = await fetch(`${apiUrl}/api/v1/letters/${id}`, { headers: { authorization: 'Bearer conformance-key' } })
    status = ((await r.json()) as { recipients: Array<{ status: string }> }).recipients[0]!.status
    if (status !== 'delivered') await new Promise((r) => setTimeout(r, 50))
  }
  t.equal(status, 'delivered', "our node accepted the kit's receipt")
  t.match(lines.at(-1), /^# CONFORMS: \d+ tests, \d+ pass, 0 fail, 0 skip$/)
  t.equal(new Set(summary.results.map((r) => r.id)).size, CASES.length, 'every case ran at least once')
  t.same(plan(session, { only: ['§7.1'] }).map((p) => p.c.id), ['C-7.1-01', 'C-7.1-01', 'C-7.1-01', 'C-7.1-02', 'C-7.1-02', 'C-7.1-02'], '--only by § and per profile')
  t.same(plan(session, { only: ['C-4.2'], skip: ['C-4.2-10', '§4.2'] }), [], '--skip wins over --only')

  // The kit notices a wrong answer: the same request, expecting another status than the node gives.
  const row = CASES.find((c) => c.id === 'C-4.2-01')!
  const wrong = { ...row, run: async (k: Session) => {
    const s = await k.seal('jose-v1')
    expectProblem(await k.send(s, { contentType: 'application/json' }), 400, 'ERR_UNSUPPORTED_MEDIA_TYPE')
  } }
  const out: string[] = []
  const bad = await runConformance(session, { cases: [wrong], write: (l) => out.push(l) })
  t.equal(bad.fail, 1)
  t.same(out.slice(3, 6), ['not ok 1 - C-4.2-01 §4.2 a media type that is no envelope profile is refused (check 1)', '  ---', '  message: "expected 400 ERR_UNSUPPORTED_MEDIA_TYPE"'])
  t.ok(out.includes('    status: 415'), 'the YAML block shows what came')
  t.equal(out.at(-1), '# DOES NOT CONFORM: 1 tests, 0 pass, 1 fail, 0 skip')

  // The bad-receipt machinery notices a sender that does not do what §7.2 says: answered with a
  // receipt that is in fact good, our node records the letter as delivered (so a "failed at once"
  // row fails) and does not retry (so a "retried" row fails).
  const goodReceipt = (c: ReceiptContext) => ({ body: signReceiptSync(c), mediaType: c.profile.receiptMediaType })
  const notBad = [
    receiptCase('C-7.2-02', { step: '§6.3', title: 'a good receipt', outcome: 'failed', make: goodReceipt }),
    receiptCase('C-7.2-03', { step: '§6.3', title: 'a good receipt', outcome: 'retried', make: goodReceipt }),
  ]
  session.listenWaitMs = 5_000 // the "retried" row waits this long for a retry that never comes
  const notBadOut: string[] = []
  const notBadRun = await runConformance(session, { cases: notBad, write: (l) => notBadOut.push(l) })
  t.same(notBadRun.results.map((r) => r.outcome), ['fail', 'fail'], notBadOut.join('\n'))
  t.match(notBadRun.results[0]!.message, /fails the recipient at once with ERR_RECEIPT_INVALID/)
  t.match(notBadRun.results[1]!.message, /tries again/)

  // The log rows notice a rewritten log (§20.5, §20.6): whoever runs the target replaces its leaf
  // hashes and drops the subtree cache, so the proofs it serves no longer lead to the roots of the
  // checkpoints it signed before, which the kit holds from its receipts.
  ctx.db.sqlite.prepare('UPDATE log_entries SET leaf_hash = randomblob(32) WHERE agency = ?').run(session.target)
  ctx.db.sqlite.prepare('DELETE FROM log_nodes WHERE agency = ?').run(session.target)
  const logRows = CASES.filter((c) => c.id === 'C-20.5-01' || c.id === 'C-20.6-01')
  const rewritten = await runConformance(session, { cases: logRows, write: () => {} })
  t.same(rewritten.results.map((r) => [r.id, r.outcome]), [['C-20.5-01', 'fail'], ['C-20.5-01', 'fail'], ['C-20.5-01', 'fail'], ['C-20.6-01', 'fail']], 'a rewritten log fails the log rows')
  t.match(rewritten.results[0]!.message, /the proof leads from the entry/)
  t.match(rewritten.results[3]!.message, /consistency proof verifies/)
})

// Every profile the target lists, with the receipts in the other family, on a hosting node: an RSA
// target that lists cms-v1 and jose-v2 (no jose-v1), hosted with a second agency by a node whose TLS
// certificate is the node's (§16.1, §16.2), and a kit agency that prefers cms-v1, so that our node
// seals its letters to the kit in cms-v1 and the kit's bad receipts are CMS SignedData (§12.6).
t.test('every case passes against an RSA cms-v1/jose-v2 target on a hosting node, with cms-v1 receipts', async (t) => {
  const { session, listener } = await startTarget(t, 'rsa-cms', { targetKeyType: 'rsa', profiles: ['cms-v1', 'jose-v2'], kitProfiles: ['cms-v1', 'jose-v1'], hostingNode: true })
  t.same(session.targetProfiles(), ['cms-v1', 'jose-v2'])
  t.same(session.creds.directory.nodeOf('target')?.agencies, ['target', 'target-2'], 'the target is hosted by a node with another agency')
  // No letter sent by hand: with --target-api the kit has the target send the one the --listen cases watch.
  const lines: string[] = []
  const summary = await runConformance(session, { write: (l) => lines.push(l) })
  t.same(summary.results.filter((r) => r.outcome !== 'pass'), [], lines.filter((l) => !l.startsWith('ok ')).join('\n'))
  t.same([...new Set(summary.results.filter((r) => r.profile !== undefined).map((r) => r.profile))].sort(), ['cms-v1', 'jose-v2'], 'the per-profile cases ran in both')
  const answered = [...listener.deliveries.values()]
  t.same([...new Set(answered.map((d) => d.header?.profile))], ['cms-v1'], 'our node sealed its letters to the kit in cms-v1')
  t.equal(answered.filter((d) => d.plan !== undefined).length, RECEIPT_CASES.length, 'each bad receipt answered a letter of its own')
  t.equal(answered.filter((d) => d.plan === undefined).length, 1, 'the kit had the target send the letter of the --listen cases, once')
  const tap = await parseTap(lines)
  t.same([tap.ok, tap.fail, tap.count], [true, 0, summary.results.length], 'a TAP parser reads the output')
})

t.test('PROTOCOL.md Annex A and the case table agree one to one', async (t) => {
  const annex = annexOf(readFileSync(join(process.cwd(), 'PROTOCOL.md'), 'utf8'))
  t.ok(annex !== undefined, 'the annex table is delimited')
  const ids = CASES.map((c) => c.id)
  t.equal(new Set(ids).size, ids.length, 'case ids are unique')
  t.ok(CASES.every((c) => c.id.startsWith(`C-${c.section.slice(1)}-`)), 'each id names its section')
  t.equal(annex, annexTable(), 'Annex A is the case table (npx tsx test/docs/conformance-annex.ts --write)')
})
