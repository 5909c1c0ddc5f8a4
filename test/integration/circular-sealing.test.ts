// A circular sealed per recipient (jose-v1 has no sealMany) to 60 agencies with a 1 MB attachment
// (issue 5 §4: memory bounded by the concurrency, not by the recipients): its envelopes are stored
// in batches ahead of the letter's one transaction, which adopts them. Delivered byte for byte; a
// failure part-way, or a crash (SIGKILL of a real node process), leaves nothing visible and a retry
// with the same Idempotency-Key sends the letter.
import t from 'tap'
import { randomBytes, createHash } from 'node:crypto'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { hostingNet, apiKeyOf, type HostingNet, type HostingNode } from '../helpers/hosting.js'
import { thaiLetter, waitFor } from '../helpers/nodes.js'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { ProfileTable, type EnvelopeProfile } from '../../src/crypto/profiles.js'
import { sendLetter, type SendRequest } from '../../src/services/send.js'
import { SEAL_BATCH_BYTES } from '../../src/services/send-batches.js'
import { EnvelopeCache } from '../../src/services/envelope-cache.js'
import { createLogger } from '../../src/log.js'
import { toBase64Der } from '../../src/pki/cert.js'
import { readLayout } from '../../src/evidence/layout.js'
import { verifyEvidence } from '../../src/services/evidence/index.js'

const A = Array.from({ length: 30 }, (_, i) => `a${String(i + 1).padStart(2, '0')}`)
const B = Array.from({ length: 30 }, (_, i) => `b${String(i + 1).padStart(2, '0')}`)
const ALL = [...A, ...B]
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(1024 * 1024)])
// One ว number per circular (a ที่ serves one letter, issue 20 §11); the same subject is the same
// request again (a retry under its Idempotency-Key), so it keeps its number.
const numbers = new Map<string, string>()
const numberOf = (subject: string) => numbers.get(subject) ?? numbers.set(subject, `มท 0201.2/ว ${1591 + numbers.size}`).get(subject)!
const body = (subject: string) => ({
  letter: { ...thaiLetter(ALL), subject, number: numberOf(subject), sender: { agency: 'hq' } },
  attachments: [{ filename: 'circular.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }],
})

// Everything a stored letter leaves behind on the sending node.
const TABLES = ['letters', 'outbox_messages', 'outbox_envelopes', 'outbox_contents', 'register_entries', 'timestamps', 'events']
function snapshot(db: Database.Database) {
  return Object.fromEntries(TABLES.map((n) => [n, db.prepare(`SELECT count(*) FROM ${n}`).pluck().get() as number]))
}
// Envelopes stored ahead that no letter adopted (no outbox envelope points at them, migration 015).
const sealingRows = (db: Database.Database) => db.prepare(`SELECT count(*) FROM outbox_contents c WHERE c.sealing IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM outbox_envelopes e WHERE e.content_id = c.id)`).pluck().get() as number

t.test('a per-recipient circular to 60 agencies', async (t) => {
  let net: HostingNet | undefined
  t.teardown(async () => net?.stop())
  net = await hostingNet([
    { id: 'hq-node', mode: 'agency', agencies: ['hq'] },
    { id: 'node-a', mode: 'node', agencies: A },
    { id: 'node-b', mode: 'node', agencies: B },
  ], { profiles: ['jose-v1'], delivery: { initialBackoffMs: 50, maxBackoffMs: 300, maxAttempts: 1000 } })
  const hq = net.nodes['hq-node']!
  const [a, b] = (['node-a', 'node-b'] as const).map((id) => net!.nodes[id]!) as [HostingNode, HostingNode]
  await Promise.all([hq.start(), a.start(), b.start()])
  const db = () => hq.ctx!.db.sqlite

  await t.test('is stored in batches and delivered byte for byte', async (t) => {
    const sent = await hq.call('hq', 'POST', '/api/v1/letters', body('เวียนทีละหน่วยงาน'), { 'idempotency-key': 'first' })
    t.equal(sent.status, 202, JSON.stringify(sent.body).slice(0, 300))
    const letterId = sent.body.id as string
    t.same(sent.body.recipients.map((r: { agency: string }) => r.agency), ALL, 'one recipient per agency, in the order of the letter')
    // Envelopes over 1 MiB keep their bytes in chunk rows (migration 036): counted with their row.
    const stored = db().prepare(`SELECT count(*) AS n, sum(length(bytes)) + (SELECT coalesce(sum(length(bytes)), 0) FROM blob_chunks WHERE owner LIKE 'oc:%') AS bytes,
      count(DISTINCT sealing) AS letters, min(sealing) AS letter FROM outbox_contents`).get() as { n: number; bytes: number; letters: number; letter: string }
    t.match(stored, { n: ALL.length, letters: 1, letter: letterId }, 'each envelope stored once, for this letter')
    t.equal(sealingRows(db()), 0, 'all adopted: every one is the content of one of its messages')
    t.ok(stored.bytes > 2 * SEAL_BATCH_BYTES, `${(stored.bytes / 2 ** 20).toFixed(0)} MiB of envelopes: more than two batches were stored ahead`)
    const heads = db().prepare(`SELECT count(*) AS n, sum(length(e.bytes)) AS head, count(e.content_id) AS withContent FROM outbox_envelopes e
      JOIN outbox_messages m ON m.message_id = e.message_id WHERE m.letter_id = ?`).get(letterId)
    t.same(heads, { n: ALL.length, head: 0, withContent: ALL.length }, 'each message points at its stored envelope')

    const s = await waitFor('all delivered', async () => {
      const r = (await hq.call('hq', 'GET', `/api/v1/letters/${letterId}`)).body as { status: string; recipients: Array<{ status: string; envelopeSha256: string }> }
      return r.recipients.every((x) => x.status === 'delivered') ? r : undefined
    }, 120_000)
    t.equal(s.status, 'delivered')
    t.equal(new Set(s.recipients.map((r) => r.envelopeSha256)).size, ALL.length, 'every recipient has its own envelope')
    for (const [node, id] of [[a, 'a01'], [a, 'a30'], [b, 'b17']] as const) {
      const inbox = (await node.call(id, 'GET', '/api/v1/inbox')).body.items as Array<{ id: string }>
      t.equal(inbox.length, 1, `${id} has the circular`)
      const att = await node.call(id, 'GET', `/api/v1/inbox/${inbox[0]!.id}/attachments/a1`)
      t.equal(att.status, 200)
      t.equal(sha(att.body as Buffer), sha(pdf), `${id}: the attachment, byte for byte`)
    }
    t.same(hq.ctx!.outbox.counts(), { queued: 0, sending: 0, delivered: ALL.length, failed: 0 })

    // The evidence bundle of the circular is streamed (PROTOCOL.md §8), all 60 envelopes in it.
    const ev = await hq.call('hq', 'GET', `/api/v1/letters/${letterId}/evidence`)
    t.equal(ev.status, 200)
    t.equal(Number(ev.headers.get('content-length')), (ev.body as Buffer).length, `Content-Length announced: ${(ev.body as Buffer).length} bytes`)
    const layout = readLayout(ev.body as Buffer)
    t.same(layout.findings.filter((f) => !f.ok), [], 'every file exactly as the manifest lists it')
    t.equal(layout.manifest!.messages.length, ALL.length)
    const report = await verifyEvidence(ev.body, { anchors: hq.ctx!.anchors, profiles: hq.ctx!.profiles })
    t.ok(report.ok, JSON.stringify(report.findings.filter((f) => !f.ok)).slice(0, 500))
    const again = await hq.call('hq', 'POST', '/api/v1/letters', body('เวียนทีละหน่วยงาน'), { 'idempotency-key': 'first' })
    t.equal(again.status, 202, 'the same request again is a replay, with the first status')
    t.equal(again.headers.get('idempotent-replayed'), 'true')
    t.equal(again.body.id, letterId)
  })

  await t.test('a seal failing part-way stores nothing; the same Idempotency-Key then sends', async (t) => {
    const before = snapshot(db())
    // Fault injection around the real jose-v1 row: the 40th seal throws, after batches were stored.
    let seals = 0
    let storedAhead = 0
    const faulty: EnvelopeProfile = {
      ...joseV1,
      async seal(input) {
        if (++seals === 40) {
          storedAhead = sealingRows(db())
          throw new Error('injected: the 40th seal fails')
        }
        return joseV1.seal(input)
      },
    }
    const ctx = hq.ctx!
    const req = { body: body('ล้มกลางทาง'), requestSha256: 'r1', idempotencyKey: 'part-way', allowedAgencies: ['hq'] }
    const deps = {
      clock: ctx.clock, log: createLogger('silent'), db: ctx.db, outbox: ctx.outbox, anchors: ctx.anchors, directory: ctx.directory,
      profiles: new ProfileTable([faulty]), hosted: ctx.hosted, onQueued: () => {}, envelopes: new EnvelopeCache(64 << 20), registers: ctx.registers, timestamps: ctx.timestamps,
    }
    await t.rejects(sendLetter(deps, req as unknown as SendRequest), /injected/, 'the request fails')
    t.ok(storedAhead > 0, `${storedAhead} envelopes had been stored ahead when it failed`)
    t.same(snapshot(db()), before, 'and nothing is left: no letter, message, envelope, register entry, stamp or event')
    t.equal(sealingRows(db()), 0)

    const retry = await hq.call('hq', 'POST', '/api/v1/letters', req.body, { 'idempotency-key': 'part-way' })
    t.equal(retry.status, 202, 'the retry with the same key is a new letter, not a replay')
    t.equal(retry.body.recipients.length, ALL.length)
    await waitFor('retry delivered', async () => (hq.ctx!.outbox.counts().delivered === 2 * ALL.length ? true : undefined), 120_000)
  })

  await t.test('an invalid certificate in the middle of the list: the per-recipient error, nothing stored', async (t) => {
    const before = snapshot(db())
    const doc = structuredClone(net!.directory)
    const past = { notBefore: new Date(Date.now() - 20 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) }
    const expired = await net!.pki.issue('encryption', 'a15', past)
    const entry = doc.agencies.find((x) => x.id === 'a15')!
    entry.certificates.encryption = [toBase64Der(expired.cert)]
    await hq.useDirectory(await net!.sign({ ...doc, serial: 2, issuedAt: new Date().toISOString() }))
    const r = await hq.call('hq', 'POST', '/api/v1/letters', body('ใบรับรองหมดอายุ'), { 'idempotency-key': 'bad-cert' })
    t.equal(r.status, 422, JSON.stringify(r.body))
    t.equal(r.body.code, 'ERR_RECIPIENT_CERT_INVALID')
    t.same(r.body.errors, [{ field: '/letter/recipients/14/agency', message: 'agency "a15" has no encryption certificate valid now in the directory' }])
    t.same(snapshot(db()), before, 'nothing stored')
  })

  await t.test('a crash while sealing: the restart deletes what was stored ahead; the same key then sends', async (t) => {
    await hq.useDirectory(await net!.sign({ ...net!.directory, serial: 3, issuedAt: new Date().toISOString() }))
    const before = snapshot(db())
    await hq.stop()
    const file = join(hq.dir, 'data', 'saraban.sqlite')
    // The same node as a real process, killed once envelopes are stored ahead of the letter.
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/main.ts'), 'start', '--config', join(hq.dir, 'node.json')], {
      env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'],
    })
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
    const api = await new Promise<string>((resolve, reject) => {
      let err = ''
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString()
        const m = / API (http:\/\/[0-9.:]+)/.exec(err)
        if (m) resolve(m[1]!)
      })
      void exited.then((code) => reject(new Error(`node exited ${code}: ${err}`)))
    })
    const reader = new Database(file, { readonly: true })
    t.teardown(() => reader.close())
    const post = fetch(api + '/api/v1/letters', {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKeyOf('hq')}`, 'content-type': 'application/json', 'idempotency-key': 'crash' },
      body: JSON.stringify(body('ล่มระหว่างผนึก')),
    }).catch(() => undefined)
    const ahead = await waitFor('envelopes stored ahead', () => { const n = sealingRows(reader); return n > 0 ? n : undefined }, 60_000)
    child.kill('SIGKILL')
    t.equal(await exited, null, 'killed mid-sealing')
    await post
    t.ok(ahead > 0, `${ahead} envelopes were stored ahead`)
    t.same({ ...snapshot(reader), outbox_contents: before.outbox_contents }, before, 'no letter, message or register entry')
    t.ok(sealingRows(reader) > 0, 'the envelopes stored ahead are still in the file')

    await hq.start()
    t.equal(sealingRows(db()), 0, 'the restart deleted them')
    // Migration 036: the chunks of envelopes over 1 MiB went with their rows (no orphan).
    t.equal(db().prepare(`SELECT count(*) FROM blob_chunks WHERE owner LIKE 'oc:%'
      AND CAST(substr(owner, 4) AS INTEGER) NOT IN (SELECT id FROM outbox_contents)`).pluck().get(), 0, 'and their chunks')
    t.same(snapshot(db()), before, 'nothing of the letter is left')
    const retry = await hq.call('hq', 'POST', '/api/v1/letters', body('ล่มระหว่างผนึก'), { 'idempotency-key': 'crash' })
    t.equal(retry.status, 202, 'the retry with the same key sends the letter')
    await waitFor('delivered after the crash', async () => (hq.ctx!.outbox.counts().delivered === 3 * ALL.length ? true : undefined), 120_000)
  })
})
