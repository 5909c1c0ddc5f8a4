// Webhooks (issue 5 §6): Standard Webhooks signatures (the published test vector), and the worker
// against real local HTTP servers: retries with backoff until 2xx, 410 and maxAttempts end it, and a
// hanging endpoint never delays another one.
import t from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { Db } from '../../src/storage/index.js'
import { Events, signWebhook, verifyWebhook, webhookKey, type WebhookEndpoint } from '../../src/services/events/index.js'
import { retryDelay } from '../../src/services/events/webhooks.js'
import { webhookEndpoints } from '../../src/services/events/endpoints.js'
import { createLogger } from '../../src/log.js'

const log = createLogger('silent')
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

t.test('signatures reproduce the Standard Webhooks test vector', async (t) => {
  const k = webhookKey(SECRET)
  if (!k.ok) throw new Error(k.reason)
  t.equal(signWebhook(k.key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  const headers = { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: '1614265330', signature: 'v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }
  t.ok(verifyWebhook(k.key, headers, '{"test": 2432232314}', 1614265330), 'one of several signatures matches')
  t.notOk(verifyWebhook(k.key, headers, '{"test": 2432232315}', 1614265330), 'another body does not verify')
  t.notOk(verifyWebhook(k.key, headers, '{"test": 2432232314}', 1614265330 + 301), 'too old')
})

t.test('secrets must be whsec_ + base64 of 24-64 bytes', async (t) => {
  t.equal(webhookKey('plain').ok, false)
  t.equal(webhookKey('whsec_' + Buffer.alloc(16).toString('base64')).ok, false, 'too short')
  t.equal(webhookKey('whsec_' + Buffer.alloc(32, 1).toString('base64') + '\n').ok, true, 'a trailing newline (secret file) is fine')
  t.throws(() => webhookEndpoints([{ name: 'a', url: 'http://127.0.0.1/', secret: 'nope' }]), { code: 'ERR_CONFIG_INVALID', field: '/notifications/webhooks/0/secretEnv' })
  t.throws(() => webhookEndpoints([{ name: 'a', url: 'http://127.0.0.1/', secretFile: '/nonexistent/secret' }]), { code: 'ERR_CONFIG_INVALID', field: '/notifications/webhooks/0/secretFile' })
})

t.test('retry delay: equal jitter inside [cap/2, cap], capped', async (t) => {
  const s = { initialBackoffMs: 1000, maxBackoffMs: 10_000 }
  t.equal(retryDelay(1, s, () => 0), 500)
  t.equal(retryDelay(1, s, () => 0.999999), 999)
  t.equal(retryDelay(3, s, () => 0), 2000)
  t.equal(retryDelay(50, s, () => 1), 10_000)
})

interface Hit { id: string; timestamp: string; signature: string; body: string }

async function server(t: { teardown(fn: () => void | Promise<void>): void }, answer: (hit: Hit, n: number, res: ServerResponse) => void) {
  const hits: Hit[] = []
  const s = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const hit = { id: String(req.headers['webhook-id']), timestamp: String(req.headers['webhook-timestamp']), signature: String(req.headers['webhook-signature']), body: Buffer.concat(chunks).toString('utf8') }
      hits.push(hit)
      answer(hit, hits.length, res)
    })
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => {
    s.closeAllConnections()
    s.close(() => r())
  }))
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`, hits }
}

function setup(t: { teardown(fn: () => void | Promise<void>): void }, endpoints: WebhookEndpoint[], over: Partial<{ maxAttempts: number; timeoutMs: number; allowPrivateTargets: boolean; allowedTargets: string[] }> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-webhooks-'))
  const db = Db.open(join(dir, 'saraban.sqlite'))
  const events = new Events({
    db, clock: { now: () => Date.now() }, log, endpoints, userAgent: 'saraban-node/test', random: () => 0,
    settings: {
      retentionDays: 30, pruneIntervalMs: 3_600_000,
      stream: { heartbeatMs: 1000, slowClientMs: 1000, batch: 10, maxStreams: 4, retryMs: 1000 },
      webhooks: { maxAttempts: over.maxAttempts ?? 5, initialBackoffMs: 40, maxBackoffMs: 200, timeoutMs: over.timeoutMs ?? 5000, concurrency: 8, perEndpoint: 2, allowPrivateTargets: over.allowPrivateTargets ?? true, allowedTargets: over.allowedTargets ?? [] },
    },
  })
  t.teardown(async () => {
    await events.stop()
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { db, events }
}

async function until<T>(what: string, fn: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

t.test('a failing endpoint is retried until it answers 2xx; each attempt signed afresh', async (t) => {
  const key = (webhookKey(SECRET) as { key: Buffer }).key
  const ok = await server(t, (_h, n, res) => res.writeHead(n < 3 ? 503 : 204).end(n < 3 ? 'busy\r\nlater' : ''))
  const { db, events } = setup(t, [{ name: 'saraban', url: ok.url, key }])
  await events.start()
  await db.write(() => events.sink.emit({ agency: 'moi', type: 'letter.received', messageId: '6f1c0a6e-1f3c-4e43-9a52-6d1b8f0d2a11', data: { from: 'mof' } }))
  const [d] = await until('delivered', () => {
    const rows = events.store.deliveries({ agencies: ['moi'], limit: 10 })
    return rows[0]?.state === 'delivered' ? rows : undefined
  })
  t.match(d, { eventId: 1, endpoint: 'saraban', attempts: 3, lastStatus: 204, lastError: null })
  t.equal(ok.hits.length, 3)
  for (const h of ok.hits) {
    t.equal(h.id, '1', 'webhook-id is the event id, the same on every attempt')
    t.ok(verifyWebhook(key, h, h.body, Math.floor(Date.now() / 1000)), 'the signature verifies')
  }
  // An independent receiver (Python, from the specification's text) accepts what the node sent, and
  // refuses it with one byte changed.
  const python = (body: string) => execFileSync('/usr/bin/python3', [join(import.meta.dirname, '../interop/webhook-verify.py')], {
    input: JSON.stringify({ secret: SECRET, headers: { 'webhook-id': ok.hits[2]!.id, 'webhook-timestamp': ok.hits[2]!.timestamp, 'webhook-signature': ok.hits[2]!.signature }, body, now: Math.floor(Date.now() / 1000) }),
  }).toString().trim()
  t.equal(python(ok.hits[2]!.body), 'ok', 'python verifies the delivered POST')
  t.equal(python(ok.hits[2]!.body.replace('mof', 'moi')), 'bad', 'python refuses a changed body')
  t.match(JSON.parse(ok.hits[0]!.body), { id: 1, type: 'letter.received', agency: 'moi', messageId: '6f1c0a6e-1f3c-4e43-9a52-6d1b8f0d2a11', data: { from: 'mof' } })
  t.match(events.webhooks.status()[0], { name: 'saraban', inFlight: 0, lastFailure: { status: 503, error: 'HTTP 503: busy later' } })
  t.type(events.webhooks.status()[0]!.lastSuccessAt, 'string')
})

t.test('410 Gone stops at once; maxAttempts marks failed; a hanging endpoint holds up no other', async (t) => {
  const key = (webhookKey(SECRET) as { key: Buffer }).key
  const gone = await server(t, (_h, _n, res) => res.writeHead(410).end())
  const broken = await server(t, (_h, _n, res) => res.writeHead(500).end())
  const hanging = await server(t, () => { /* never answers */ })
  const fine = await server(t, (_h, _n, res) => res.writeHead(200).end('ok'))
  const { db, events } = setup(t, [
    { name: 'hanging', url: hanging.url, key },
    { name: 'gone', url: gone.url, key },
    { name: 'broken', url: broken.url, key },
    { name: 'fine', url: fine.url, key },
  ], { maxAttempts: 3, timeoutMs: 60_000 })
  await events.start()
  await db.write(() => {
    for (let i = 0; i < 5; i++) events.sink.emit({ agency: 'moi', type: 'letter.received' })
  })
  await until('fine got all five', () => fine.hits.length === 5)
  await until('gone and broken failed', () => events.store.deliveries({ agencies: ['moi'], state: 'failed', limit: 50 }).length === 10)
  const failed = events.store.deliveries({ agencies: ['moi'], state: 'failed', limit: 50 })
  t.ok(failed.filter((d) => d.endpoint === 'gone').every((d) => d.attempts === 1 && d.lastStatus === 410), '410: one attempt')
  t.ok(failed.filter((d) => d.endpoint === 'broken').every((d) => d.attempts === 3 && d.lastStatus === 500), '500: maxAttempts')
  t.equal(hanging.hits.length, 2, 'the hanging endpoint holds only its perEndpoint slots')
  t.same(events.store.deliveryCounts(), { pending: 5, delivered: 5, failed: 10, abandoned: 0 })
  t.same(events.status().failingEndpoints.sort(), ['broken', 'gone'], '/healthz names the failing endpoints (not the hanging one: no answer yet)')
})

t.test('pending deliveries to an endpoint removed from the configuration are abandoned at start', async (t) => {
  const key = (webhookKey(SECRET) as { key: Buffer }).key
  const dir = mkdtempSync(join(tmpdir(), 'saraban-webhooks-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'saraban.sqlite')
  const settings = {
    retentionDays: 30, pruneIntervalMs: 3_600_000,
    stream: { heartbeatMs: 1000, slowClientMs: 1000, batch: 10, maxStreams: 4, retryMs: 1000 },
    webhooks: { maxAttempts: 5, initialBackoffMs: 40, maxBackoffMs: 200, timeoutMs: 5000, concurrency: 8, perEndpoint: 2, allowPrivateTargets: true, allowedTargets: [] },
  }
  let db = Db.open(file)
  let events = new Events({ db, clock: { now: () => Date.now() }, log, endpoints: [{ name: 'old', url: 'http://127.0.0.1:9/', key }], userAgent: 't', settings })
  await db.write(() => events.sink.emit({ agency: 'moi', type: 'letter.received' }))
  await events.stop()
  await db.close()
  db = Db.open(file)
  events = new Events({ db, clock: { now: () => Date.now() }, log, endpoints: [], userAgent: 't', settings })
  await events.start()
  t.match(events.store.deliveries({ agencies: ['moi'], limit: 5 })[0], { endpoint: 'old', state: 'abandoned', lastError: 'endpoint removed from configuration', attempts: 0, lastAttemptAt: null })
  t.type(events.store.deliveries({ agencies: ['moi'], limit: 5 })[0]!.abandonedAt, 'number')
  await events.stop()
  await db.close()
})

t.test('endpoints changed at run time: removed ones abandon what waits for them, changed ones get it now', async (t) => {
  const key = (webhookKey(SECRET) as { key: Buffer }).key
  const dir = mkdtempSync(join(tmpdir(), 'saraban-webhooks-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const db = Db.open(join(dir, 'saraban.sqlite'))
  const broken = await server(t, (_h, _n, res) => res.writeHead(500).end('down'))
  const fine = await server(t, (_h, _n, res) => res.writeHead(204).end())
  // Endpoints as hosted-agency files bring them (asked at every step), here a list the test edits.
  let more: WebhookEndpoint[] = [
    { name: 'moi/app', url: broken.url, key, agencies: new Set(['moi']) },
    { name: 'moi/audit', url: broken.url, key, agencies: new Set(['moi']) },
    { name: 'moi/typed', url: broken.url, key, agencies: new Set(['moi']) },
  ]
  const events = new Events({
    db, clock: { now: () => Date.now() }, log, endpoints: [], userAgent: 't',
    agencyEndpoints: { forAgency: (a) => more.filter((e) => e.agencies?.has(a)), all: () => more },
    settings: {
      retentionDays: 30, pruneIntervalMs: 3_600_000,
      stream: { heartbeatMs: 1000, slowClientMs: 1000, batch: 10, maxStreams: 4, retryMs: 1000 },
      // the second attempt would come a minute later: what waits, waits
      webhooks: { maxAttempts: 10, initialBackoffMs: 60_000, maxBackoffMs: 60_000, timeoutMs: 5000, concurrency: 8, perEndpoint: 2, allowPrivateTargets: true, allowedTargets: [] },
    },
  })
  await events.start()
  t.teardown(async () => {
    await events.stop()
    await db.close()
  })
  await db.write(() => {
    events.sink.emit({ agency: 'moi', type: 'letter.received' })
    events.sink.emit({ agency: 'moi', type: 'letter.accepted' })
  })
  await until('one failed attempt each', () => events.store.deliveries({ agencies: ['moi'], limit: 50 }).every((d) => d.attempts === 1))
  t.same(events.status().failingEndpoints.sort(), ['moi/app', 'moi/audit', 'moi/typed'])
  t.same(events.store.deliveryCounts(), { pending: 6, delivered: 0, failed: 0, abandoned: 0 })

  // reload: audit removed, app moved to a working URL, typed narrowed to letter.received
  more = [
    { name: 'moi/app', url: fine.url, key, agencies: new Set(['moi']) },
    { name: 'moi/typed', url: broken.url, key, agencies: new Set(['moi']), types: new Set(['letter.received']) },
  ]
  await events.agenciesChanged()
  const byEndpoint = (name: string) => events.store.deliveries({ agencies: ['moi'], limit: 50 }).filter((d) => d.endpoint === name)
  t.match(byEndpoint('moi/audit'), [
    { state: 'abandoned', lastError: 'endpoint removed from configuration', attempts: 1, lastStatus: 500 },
    { state: 'abandoned', lastError: 'endpoint removed from configuration', attempts: 1, lastStatus: 500 },
  ])
  t.match(byEndpoint('moi/typed').find((d) => d.type === 'letter.accepted'), { state: 'abandoned', lastError: 'the endpoint no longer takes events of this type' })
  t.match(byEndpoint('moi/typed').find((d) => d.type === 'letter.received'), { state: 'pending' }, 'the type it still takes still waits')
  await until('app delivered at its new URL without waiting out the backoff', () => byEndpoint('moi/app').every((d) => d.state === 'delivered'))
  t.equal(fine.hits.length, 2)
  t.same(events.status().failingEndpoints, ['moi/typed'], '/healthz: the removed endpoint is gone, the moved one is not failing')
  t.same(events.store.deliveryCounts(), { pending: 1, delivered: 2, failed: 0, abandoned: 3 })
  t.same(events.store.deliveries({ agencies: ['moi'], state: 'abandoned', limit: 50 }).length, 3, '?state=abandoned')
})

// Issue 13 §1: a webhook may not reach this machine or a private network unless the operator allows it.
t.test('loopback, link-local and private targets are refused unless allowed; host names are resolved at delivery', async (t) => {
  const key = (webhookKey(SECRET) as { key: Buffer }).key
  const hook = await server(t, (_h, _n, res) => res.writeHead(200).end('secret answer of an internal service'))
  const port = new URL(hook.url).port
  const { db, events } = setup(t, [
    { name: 'literal', url: hook.url, key },
    { name: 'named', url: `http://localhost:${port}/hook`, key },
    { name: 'mapped', url: `http://[::ffff:127.0.0.1]:${port}/hook`, key },
  ], { allowPrivateTargets: false })
  await events.start()
  await db.write(() => events.sink.emit({ agency: 'moi', type: 'letter.received', messageId: '6f1c0a6e-1f3c-4e43-9a52-6d1b8f0d2a11', data: { from: 'mof' } }))
  const rows = await until('all failed', () => {
    const r = events.store.deliveries({ agencies: ['moi'], limit: 10 })
    return r.length === 3 && r.every((d) => d.state === 'failed') ? r : undefined
  })
  for (const d of rows) {
    t.equal(d.attempts, 1, `${d.endpoint}: failed at once, not retried`)
    t.match(d.lastError, /loopback, link-local or private/, `${d.endpoint}: says why`)
    t.notMatch(d.lastError ?? '', /secret answer/)
  }
  t.equal(hook.hits.length, 0, 'nothing reached the loopback service')

  const allowed = setup(t, [{ name: 'cidr', url: `http://localhost:${port}/hook`, key }], { allowPrivateTargets: false, allowedTargets: ['127.0.0.0/8', '::1/128'] })
  await allowed.events.start()
  await allowed.db.write(() => allowed.events.sink.emit({ agency: 'moi', type: 'letter.received', messageId: '6f1c0a6e-1f3c-4e43-9a52-6d1b8f0d2a12', data: { from: 'mof' } }))
  await until('delivered', () => allowed.events.store.deliveries({ agencies: ['moi'], limit: 10 })[0]?.state === 'delivered')
  t.equal(hook.hits.length, 1, 'a CIDR on the allow-list is delivered to')
})

// Issue 13 §1: an endpoint for every agency shows a caller only the failure texts of its agencies' events.
t.test("an endpoint for all agencies shows each caller only its own agencies' failure texts", async (t) => {
  const key = (webhookKey(SECRET) as { key: Buffer }).key
  const hook = await server(t, (h, _n, res) => res.writeHead(503).end(`answer about ${(JSON.parse(h.body) as { agency: string }).agency}`))
  const { db, events } = setup(t, [{ name: 'all', url: hook.url, key }], { maxAttempts: 1 })
  await events.start()
  await db.write(() => events.sink.emit({ agency: 'mof', type: 'letter.received', messageId: '6f1c0a6e-1f3c-4e43-9a52-6d1b8f0d2a13', data: { from: 'moi' } }))
  await until('failed', () => events.store.deliveries({ agencies: ['mof'], limit: 10 })[0]?.state === 'failed')
  t.match(events.webhooks.status(new Set(['mof']))[0]!.lastFailure?.error, /answer about mof/, 'mof sees its failure')
  t.equal(events.webhooks.status(new Set(['moi']))[0]!.lastFailure, undefined, 'moi does not see the failure of an event of mof')
  await db.write(() => events.sink.emit({ agency: 'moi', type: 'letter.received', messageId: '6f1c0a6e-1f3c-4e43-9a52-6d1b8f0d2a14', data: { from: 'mof' } }))
  await until('failed', () => events.store.deliveries({ agencies: ['moi'], limit: 10 })[0]?.state === 'failed')
  t.match(events.webhooks.status(new Set(['moi']))[0]!.lastFailure?.error, /answer about moi/)
  t.match(events.webhooks.status(new Set(['mof']))[0]!.lastFailure?.error, /answer about mof/, 'each its own')
})
