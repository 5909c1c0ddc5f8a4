// RFC 3161 time-stamps between real nodes over real mTLS (PROTOCOL.md §13): both sides stamp the letter
// signature and the receipt signature, the stored tokens verify (ours and `openssl ts -verify`), and a
// TSA that is down never holds up a letter: the node delivers, says so in /healthz, and catches up
// (also across a restart) once the TSA is back.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultProfiles, receiptFromText } from '../../src/crypto/profiles.js'
import { imprintOf } from '../../src/tsa/imprint.js'
import { verifyTimeStampToken } from '../../src/tsa/verify.js'
import { call, freePort, testNet, waitFor, waitForRecipient, thaiLetter, type TestNode } from '../helpers/nodes.js'
import { testTrust } from '../helpers/federation.js'
import { testTsa } from '../helpers/tsa.js'

const hasOpenssl = spawnSync('openssl', ['version']).status === 0

/** testNet with a `tsa` section in every node.json. */
function netWithTsa(agencies: string[], tsaUrl: string, profiles?: string[]) {
  return testNet(agencies, {
    ...(profiles ? { profiles } : {}),
    delivery: { initialBackoffMs: 50, maxBackoffMs: 300 },
    extra: { tsa: { url: tsaUrl, timeoutMs: 500, initialBackoffMs: 100, maxBackoffMs: 300 } },
  })
}

async function health(node: TestNode) {
  const res = await fetch(node.apiUrl + '/healthz', { headers: { authorization: `Bearer ${node.apiKey}` } })
  return { status: res.status, body: (await res.json()) as any }
}

/** The message's four stamps, each checked against an imprint we compute ourselves from the signed bytes. */
async function checkStamps(t: Test, moi: TestNode, mof: TestNode, messageId: string) {
  const { anchors } = await testTrust()
  const sent = moi.ctx!.outbox.getMessage(messageId)!
  const profile = defaultProfiles().get(sent.profile)
  const envelope = moi.ctx!.outbox.getEnvelope(messageId)!
  const contentKey = (moi.ctx!.db.sqlite.prepare('SELECT content_key FROM outbox_envelopes WHERE message_id = ?').pluck().get(messageId)) as Buffer
  const letterImprint = imprintOf((await profile.openWithContentKey(envelope, contentKey)).signature)
  const receiptImprint = imprintOf((await profile.verifyReceipt(receiptFromText(sent.profile, sent.receipt!))).signature)
  const expected: Record<string, Buffer> = {
    'outbox letter': letterImprint, 'outbox receipt': receiptImprint, 'inbox letter': letterImprint, 'inbox receipt': receiptImprint,
  }
  const tokens = [...moi.ctx!.timestamps.tokensFor(messageId), ...mof.ctx!.timestamps.tokensFor(messageId)]
  t.same(tokens.map((x) => `${x.side} ${x.kind}`).sort(), Object.keys(expected).sort(), 'four stamps: letter and receipt, on both sides')
  for (const tok of tokens) {
    const want = expected[`${tok.side} ${tok.kind}`]!
    t.ok(tok.imprint.equals(want), `${tok.side} ${tok.kind}: the imprint is SHA-256 of the signature value`)
    const v = await verifyTimeStampToken(tok.token, { imprint: want, anchors })
    t.ok(v.ok && v.value.genTime.getTime() === tok.genTime.getTime(), `${tok.side} ${tok.kind}: the stored token verifies`)
  }
  return tokens
}

for (const profileId of ['jose-v1', 'cms-v1']) t.test(`${profileId}: both sides stamp the letter and receipt signatures; the tokens verify, also with openssl`, async (t) => {
  const tsa = await testTsa()
  t.teardown(() => tsa.stop())
  const net = await netWithTsa(['moi', 'mof'], tsa.url, [profileId])
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  await mof.start()
  await moi.start()
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  t.equal(sent.status, 202)
  const done = await waitForRecipient(moi, sent.body.id, 'delivered')
  const messageId = done.recipients[0].messageId as string
  t.equal(done.recipients[0].profile, profileId)
  await waitFor('four stamps', () =>
    moi.ctx!.timestamps.tokensFor(messageId).length + mof.ctx!.timestamps.tokensFor(messageId).length === 4 || undefined)
  const tokens = await checkStamps(t, moi, mof, messageId)
  for (const node of [moi, mof]) {
    const h = await health(node)
    t.equal(h.status, 200)
    t.match(h.body.timestamping, { state: 'ok', pending: 0, oldestPendingSeconds: 0 }, `${node.id}: /healthz reports time-stamping`)
  }

  if (hasOpenssl) {
    const { fed } = await testTrust()
    const dir = mkdtempSync(join(tmpdir(), 'saraban-ts-it-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'root.pem'), fed.root.certPem)
    writeFileSync(join(dir, 'chain.pem'), tsa.cert.chainPem)
    for (const tok of tokens) {
      const file = join(dir, `${tok.side}-${tok.kind}.tsr`)
      writeFileSync(file, tok.token)
      const r = spawnSync('openssl', ['ts', '-verify', '-digest', tok.imprint.toString('hex'), '-in', file, '-token_in', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'chain.pem')], { encoding: 'utf8' })
      t.equal(r.status, 0, `openssl ts -verify, ${tok.side} ${tok.kind}: ${r.stdout}${r.stderr}`.trim())
    }
  }
})

t.test('a TSA that is down: letters keep flowing, /healthz says so, and the stamps catch up (across a restart)', async (t) => {
  const port = await freePort()
  const net = await netWithTsa(['moi', 'mof'], `http://127.0.0.1:${port}/`)
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  await mof.start()
  await moi.start()
  const ids: string[] = []
  for (let i = 0; i < 3; i++) {
    const r = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `หนังสือที่ ${i + 1}` }) })
    t.equal(r.status, 202)
    ids.push(r.body.id)
  }
  const messageIds: string[] = []
  for (const id of ids) messageIds.push((await waitForRecipient(moi, id, 'delivered')).recipients[0].messageId)
  t.pass('every letter was delivered while no TSA answered')
  t.equal((await call(mof, 'GET', '/api/v1/inbox')).body.items.length, 3)

  const down = await waitFor('moi to report the TSA failing', async () => {
    const h = await health(moi)
    return h.body.timestamping?.state === 'retrying' ? h : undefined
  })
  t.equal(down.status, 503, '/healthz is degraded')
  t.equal(down.body.timestamping.pending, 6, 'three letter and three receipt stamps wait on the sender')
  t.equal(down.body.timestamping.lastError.code, 'ERR_TSA_UNAVAILABLE')
  t.match(down.body.checks, [{ name: 'timestamping', status: 'degraded' }])
  const mofDown = await waitFor('mof to report it too', async () => {
    const h = await health(mof)
    return h.body.timestamping?.state === 'retrying' ? h : undefined
  })
  t.equal(mofDown.body.timestamping.pending, 6, 'and on the receiver')

  // The sender stops with stamps pending; they are in SQLite, not in memory.
  await moi.stop()
  const tsa = await testTsa({ port })
  t.teardown(() => tsa.stop())
  await moi.start()
  for (const node of [moi, mof]) {
    await waitFor(`${node.id} to catch up`, async () => {
      const h = await health(node)
      return h.body.timestamping?.state === 'ok' && h.body.timestamping.pending === 0 ? h : undefined
    }, 30_000)
    t.equal((await health(node)).status, 200, `${node.id}: healthy again`)
  }
  for (const m of messageIds) await checkStamps(t, moi, mof, m)
})
