// Notifications end to end (issue 5 §6) between real nodes over real mTLS: a letter moi → mof appears on
// mof's event stream (SSE) and at mof's webhook, signed; a stream resumed with Last-Event-ID replays
// what it missed and goes live without a gap or a duplicate; API keys see only their agencies.
import tap from 'tap'
import { createServer } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { testNet, call, waitFor, waitForRecipient, thaiLetter, type TestNet, type TestNode } from '../helpers/nodes.js'
import { verifyWebhook, webhookKey } from '../../src/services/events/index.js'

interface SseEvent { id?: string; event?: string; data?: string; retry?: string }

/** A minimal EventSource: frames and comments as they arrive. */
async function openStream(node: TestNode, query = '', headers: Record<string, string> = {}) {
  const abort = new AbortController()
  const res = await fetch(`${node.apiUrl}/api/v1/events${query}`, { headers: { authorization: `Bearer ${node.apiKey}`, accept: 'text/event-stream', ...headers }, signal: abort.signal })
  const events: SseEvent[] = []
  const comments: string[] = []
  let ended = false
  const reading = (async () => {
    if (!res.body) return
    const decoder = new TextDecoder()
    let buf = ''
    try {
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk as Uint8Array, { stream: true })
        let i: number
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i)
          buf = buf.slice(i + 2)
          const ev: SseEvent = {}
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line)
            const m = /^(id|event|data|retry): (.*)$/.exec(line)
            if (m) ev[m[1] as keyof SseEvent] = m[2]
          }
          if (ev.id !== undefined || ev.event !== undefined) events.push(ev)
          else if (ev.retry !== undefined) events.push(ev)
        }
      }
    } catch {
      /* aborted */
    }
    ended = true
  })()
  return {
    res, events, comments,
    get ended() { return ended },
    /** The letter events (no retry frames). */
    letters: () => events.filter((e) => e.event !== undefined && e.event !== 'stream.truncated'),
    async close() {
      abort.abort()
      await reading
    },
  }
}

tap.test('event stream and webhooks', async (t) => {
  let net: TestNet
  const dir = mkdtempSync(join(tmpdir(), 'saraban-events-it-'))
  const secret = `whsec_${randomBytes(32).toString('base64')}`
  const key = (webhookKey(secret) as { key: Buffer }).key
  writeFileSync(join(dir, 'webhook.secret'), secret + '\n')
  const hits: Array<{ id: string; timestamp: string; signature: string; body: string }> = []
  // The saraban system's webhook receiver: its first answer is a 500, the rest 204.
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      hits.push({ id: String(req.headers['webhook-id']), timestamp: String(req.headers['webhook-timestamp']), signature: String(req.headers['webhook-signature']), body: Buffer.concat(chunks).toString() })
      res.writeHead(hits.length === 1 ? 500 : 204).end()
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/saraban/hook`

  t.before(async () => {
    net = await testNet(['moi', 'mof'], {
      extra: {
        notifications: {
          heartbeatSeconds: 1,
          webhooks: [{ name: 'saraban', url: hookUrl, secretFile: join(dir, 'webhook.secret'), types: ['letter.received'] }],
          webhookDelivery: { initialBackoffMs: 50, maxBackoffMs: 200, allowPrivateTargets: true },
        },
      },
    })
    await net.nodes.moi!.start()
    await net.nodes.mof!.start()
  })
  t.teardown(async () => {
    await net?.stop()
    receiver.closeAllConnections()
    await new Promise((r) => receiver.close(r))
    rmSync(dir, { recursive: true, force: true })
  })

  const send = async (subject: string, extra: Record<string, unknown> = {}) => {
    const moi = net.nodes.moi!
    const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject, ...extra }) })
    t.equal(sent.status, 202, JSON.stringify(sent.body))
    const done = await waitForRecipient(moi, sent.body.id, 'delivered')
    return done.recipients[0].messageId as string
  }

  let firstId = ''
  const mids: string[] = []

  t.test('a received letter is on the recipient\'s stream, live', async (t) => {
    const mof = net.nodes.mof!
    const s = await openStream(mof)
    t.equal(s.res.status, 200)
    t.match(s.res.headers.get('content-type'), /^text\/event-stream/)
    await waitFor('retry frame', () => s.events[0]?.retry)
    mids.push(await send('เรื่องที่หนึ่ง'))
    mids.push(await send('เรื่องที่สอง'))
    const got = await waitFor('two events', () => (s.letters().length >= 2 ? s.letters() : undefined))
    t.same(got.map((e) => e.event), ['letter.received', 'letter.received'])
    const data = got.map((e) => JSON.parse(e.data!))
    t.same(data.map((d) => d.messageId), mids, 'one event per letter, in order')
    t.match(data[0], { type: 'letter.received', agency: 'mof', data: { from: 'moi', urgency: 'NORMAL', secrecy: 'UNCLASSIFIED', attachments: 0 } })
    t.notOk(JSON.stringify(data).includes('เรื่องที่'), 'no letter contents in events')
    t.equal(got[0]!.id, String(data[0].id), 'the SSE id is the event id')
    firstId = got[0]!.id!
    await waitFor('a heartbeat comment', () => s.comments.length > 0, 5000)
    await s.close()
  })

  t.test('resuming with Last-Event-ID replays what was missed, then goes live: no gap, no duplicate', async (t) => {
    const mof = net.nodes.mof!
    const deliverBy = new Date(Date.now() + 86_400_000).toISOString()
    mids.push(await send('เรื่องที่สาม', { urgency: 'MOST_URGENT', deliverBy })) // while nobody listens
    const s = await openStream(mof, '', { 'last-event-id': firstId })
    await waitFor('replay', () => s.letters().length >= 2)
    mids.push(await send('เรื่องที่สี่'))
    await waitFor('live', () => s.letters().length >= 3)
    await new Promise((r) => setTimeout(r, 300))
    const ids = s.letters().map((e) => JSON.parse(e.data!).messageId)
    t.same(ids, mids.slice(1), 'events 2, 3 (replayed) and 4 (live), each once')
    t.match(JSON.parse(s.letters()[1]!.data!).data, { urgency: 'MOST_URGENT', deliverBy }, 'urgency and deliverBy travel with the event')
    await s.close()

    const again = await openStream(mof, '?types=letter.received', { 'last-event-id': '0' })
    await waitFor('full replay', () => again.letters().length >= 4)
    t.same(again.letters().map((e) => JSON.parse(e.data!).messageId), mids, 'Last-Event-ID: 0 replays everything kept')
    await again.close()
  })

  t.test('the JSON form, filters and API key scope', async (t) => {
    const moi = net.nodes.moi!, mof = net.nodes.mof!
    const page = await call(mof, 'GET', '/api/v1/events?limit=3', undefined, { accept: 'application/json' })
    t.equal(page.status, 200, JSON.stringify(page.body))
    t.equal(page.body.items.length, 3)
    const next = await call(mof, 'GET', `/api/v1/events?cursor=${page.body.nextCursor}`, undefined, { accept: 'application/json' })
    t.same([...page.body.items, ...next.body.items].map((e: { messageId: string }) => e.messageId), mids)
    const none = await call(mof, 'GET', '/api/v1/events?types=letter.accepted,letter.rejected', undefined, { accept: 'application/json' })
    t.same(none.body.items, [])
    const bad = await call(mof, 'GET', '/api/v1/events?types=letter.nonsense', undefined, { accept: 'application/json' })
    t.equal(bad.status, 400)
    t.equal(bad.body.code, 'ERR_REQUEST_INVALID')
    t.equal(bad.body.field, '/query/types')
    const badId = await call(mof, 'GET', '/api/v1/events', undefined, { 'last-event-id': 'abc' })
    t.equal(badId.status, 400)
    t.equal(badId.body.field, '/headers/last-event-id')
    const other = await call(moi, 'GET', '/api/v1/events?agency=mof', undefined, { accept: 'application/json' })
    t.equal(other.status, 403, 'moi\'s key does not act for mof')
    t.equal(other.body.code, 'ERR_FORBIDDEN')
    const mine = await call(moi, 'GET', '/api/v1/events', undefined, { accept: 'application/json' })
    t.notOk(mine.body.items.some((e: { agency: string }) => e.agency !== 'moi'), 'moi sees only moi\'s events')
    const anon = await fetch(`${mof.apiUrl}/api/v1/events`)
    t.equal(anon.status, 401)
  })

  t.test('webhooks: signed, retried after a failure, visible', async (t) => {
    const mof = net.nodes.mof!
    await waitFor('four webhooks delivered', async () => {
      const r = await call(mof, 'GET', '/api/v1/webhooks/deliveries?state=delivered')
      return r.body.items?.length === 4 ? r.body : undefined
    })
    const r = await call(mof, 'GET', '/api/v1/webhooks/deliveries')
    t.equal(r.status, 200, JSON.stringify(r.body))
    t.match(r.body.endpoints, [{ name: 'saraban', url: hookUrl, inFlight: 0, lastFailure: { status: 500 } }])
    t.same(r.body.items.map((d: { attempts: number }) => d.attempts).sort(), [1, 1, 1, 2], 'the first answer (500) was retried')
    t.ok(r.body.items.every((d: { state: string; lastStatus: number }) => d.state === 'delivered' && d.lastStatus === 204))
    const now = Math.floor(Date.now() / 1000)
    t.ok(hits.every((h) => verifyWebhook(key, h, h.body, now)), 'every POST verifies with the shared secret')
    const bodies = new Map(hits.map((h) => [h.id, JSON.parse(h.body)]))
    t.same([...bodies.values()].map((b) => b.messageId).sort(), [...mids].sort(), 'each letter once (by webhook-id)')
    for (const [id, b] of bodies) t.equal(String(b.id), id, 'webhook-id is the event id')
    const health = await fetch(`${mof.apiUrl}/healthz`, { headers: { authorization: `Bearer ${mof.apiKey}` } }).then((r) => r.json() as Promise<any>)
    t.same(health.notifications.webhooks, { pending: 0, delivered: 4, failed: 0, abandoned: 0 }, '/healthz counts the deliveries')
    t.notOk((health.checks ?? []).some((c: { name: string }) => c.name === 'webhooks'), 'the endpoint recovered: no webhook check')
  })

  t.test('a node closes with a stream open; the client sees the stream end', async (t) => {
    const mof = net.nodes.mof!
    const s = await openStream(mof)
    await waitFor('retry frame', () => s.events.length > 0)
    await mof.stop()
    await waitFor('stream ended', () => s.ended, 5000)
    t.pass('closed')
  })
})
