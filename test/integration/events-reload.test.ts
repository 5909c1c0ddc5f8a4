// Hosted-agency reloads reach what is already open (README "Notifications", PROTOCOL.md §16.3), on a
// real hosting node over real mTLS, with the files edited on disk and rescanned: an event stream whose
// API key is revoked, or whose agency leaves the node, is told why (stream.closed) and ended; a key that
// now acts for another agency streams that agency's events from the reload on, with no replay of what
// came before; pending webhook deliveries of an endpoint removed from a file end `abandoned`, and
// /healthz stops reporting the endpoint.
import tap from 'tap'
import { createServer } from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { apiKeyOf, hostingNet, type HostingNet, type HostingNode } from '../helpers/hosting.js'
import { waitFor, thaiLetter } from '../helpers/nodes.js'

interface Frame { id?: string; event?: string; data?: string }

/** A minimal EventSource over fetch: the frames as they arrive, and whether the server ended it. */
async function openStream(node: HostingNode, key: string, query = '', headers: Record<string, string> = {}) {
  const abort = new AbortController()
  const res = await fetch(`${node.apiUrl}/api/v1/events${query}`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream', ...headers }, signal: abort.signal })
  const frames: Frame[] = []
  let ended = false
  const reading = (async () => {
    const decoder = new TextDecoder()
    let buf = ''
    try {
      for await (const chunk of res.body!) {
        buf += decoder.decode(chunk as Uint8Array, { stream: true })
        let i: number
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const f: Frame = {}
          for (const line of buf.slice(0, i).split('\n')) {
            const m = /^(id|event|data): (.*)$/.exec(line)
            if (m) f[m[1] as keyof Frame] = m[2]
          }
          buf = buf.slice(i + 2)
          if (f.event !== undefined) frames.push(f)
        }
      }
      ended = true // the server ended the response
    } catch {
      /* aborted by the test */
    }
  })()
  return {
    status: res.status, frames,
    get ended() { return ended },
    letters: () => frames.filter((f) => f.event!.startsWith('letter.')).map((f) => JSON.parse(f.data!) as { id: number; agency: string; messageId: string }),
    async close() {
      abort.abort()
      await reading
    },
  }
}

function editAgencyFile(dir: string, id: string, edit: (f: Record<string, unknown>) => Record<string, unknown>): void {
  const file = join(dir, `${id}.json`)
  const next = edit(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
  writeFileSync(join(dir, `.${id}.tmp`), JSON.stringify(next, null, 2))
  renameSync(join(dir, `.${id}.tmp`), file)
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

tap.test('reloads of hosted agencies reach open streams and pending webhooks', async (t) => {
  // A receiver that is down: deliveries stay pending (next attempt seconds away).
  const receiver = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(503).end('maintenance'))
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/b5`
  let net: HostingNet
  t.before(async () => {
    net = await hostingNet([
      { id: 'node-a', mode: 'node', agencies: ['a1'] },
      { id: 'node-b', mode: 'node', agencies: ['b1', 'b2', 'b3', 'b4', 'b5'] },
    ])
    const b = net.nodes['node-b']!
    writeFileSync(join(b.agenciesDir, '..', 'b5-hook.secret'), `whsec_${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
    editAgencyFile(b.agenciesDir, 'b5', (f) => ({ ...f, webhooks: [{ name: 'app', url: hookUrl, secretFile: '../b5-hook.secret' }] }))
    await net.nodes['node-a']!.start()
    await b.start()
  })
  t.teardown(async () => {
    await net?.stop()
    receiver.closeAllConnections()
    await new Promise((r) => receiver.close(r))
  })

  /** Sends a1 → `to`; resolves with the inbox message id once delivered. */
  const send = async (to: string) => {
    const a = net.nodes['node-a']!
    const sent = await a.call('a1', 'POST', '/api/v1/letters', { letter: thaiLetter([to]) })
    t.equal(sent.status, 202, JSON.stringify(sent.body))
    const done = await waitFor(`delivered to ${to}`, async () => {
      const r = await a.call('a1', 'GET', `/api/v1/letters/${sent.body.id}`)
      return r.body.recipients?.[0]?.status === 'delivered' ? r.body : undefined
    })
    return done.recipients[0].messageId as string
  }
  const closedOf = async (s: Awaited<ReturnType<typeof openStream>>) => {
    await waitFor('the stream ended by the node', () => s.ended)
    const last = s.frames.at(-1)!
    t.equal(last.event, 'stream.closed', 'the last frame says why')
    t.equal(last.id, undefined, 'without an id: Last-Event-ID stays the last event\'s')
    return JSON.parse(last.data!) as { reason: string; code: string; message: string }
  }

  t.test('a revoked key: its open stream is told why and ended, and the key is refused', async (t) => {
    const b = net.nodes['node-b']!
    const s = await openStream(b, apiKeyOf('b1'))
    t.equal(s.status, 200)
    const m1 = await send('b1')
    await waitFor('the letter on the stream', () => s.letters().some((e) => e.messageId === m1))
    // The operator replaces b1's API key (a new key in the file, the old one gone) and reloads.
    editAgencyFile(b.agenciesDir, 'b1', (f) => ({ ...f, apiKeys: [{ name: 'b1-app-2', sha256: sha('key-b1-rotated') }] }))
    t.match(b.ctx!.reloadAgencies(), { changed: ['b1'] })
    t.match(await closedOf(s), { reason: 'key-revoked', code: 'ERR_UNAUTHORIZED' })
    const again = await fetch(`${b.apiUrl}/api/v1/events`, { headers: { authorization: `Bearer ${apiKeyOf('b1')}` } })
    t.equal(again.status, 401, 'reconnecting with the old key is refused')
    await again.body?.cancel()
    const fresh = await openStream(b, 'key-b1-rotated')
    const m2 = await send('b1')
    await waitFor('the new key streams b1', () => fresh.letters().some((e) => e.messageId === m2))
    t.notOk(s.letters().some((e) => e.messageId === m2), 'nothing after the reload on the ended stream')
    await fresh.close()
  })

  t.test('an agency removed from the node: its stream ends (agency-removed)', async (t) => {
    const b = net.nodes['node-b']!
    const s = await openStream(b, apiKeyOf('b2'), '?agency=b2')
    b.removeAgency('b2')
    t.match(b.ctx!.reloadAgencies(), { removed: ['b2'] })
    t.match(await closedOf(s), { reason: 'agency-removed', code: 'ERR_UNAUTHORIZED' })
    t.equal(b.ctx!.events.streams.size, 0, 'no stream left open')
  })

  t.test('a key moved to another agency: ?agency= streams end, the others carry on with the new agency from the reload on', async (t) => {
    const b = net.nodes['node-b']!
    const m3 = await send('b3')
    const before4 = await send('b4') // b4's, committed before the key covered b4
    const all = await openStream(b, apiKeyOf('b3'), '', { 'last-event-id': '0' }) // replays b3's events, then live
    const only3 = await openStream(b, apiKeyOf('b3'), '?agency=b3')
    await waitFor('b3\'s letter replayed', () => all.letters().some((e) => e.messageId === m3))
    // key-b3 leaves b3's file for b4's (one rescan: b3.json is read before b4.json).
    editAgencyFile(b.agenciesDir, 'b3', (f) => ({ ...f, apiKeys: [] }))
    editAgencyFile(b.agenciesDir, 'b4', (f) => ({ ...f, apiKeys: [...(f.apiKeys as unknown[]), { name: 'moved', sha256: sha(apiKeyOf('b3')) }] }))
    t.match(b.ctx!.reloadAgencies(), { changed: ['b3', 'b4'] })
    t.match(await closedOf(only3), { reason: 'agency-not-covered', code: 'ERR_FORBIDDEN' })
    const after4 = await send('b4')
    const after3 = await send('b3')
    await waitFor('b4\'s new letter on the key\'s open stream', () => all.letters().some((e) => e.messageId === after4))
    await new Promise((r) => setTimeout(r, 200))
    t.notOk(all.ended, 'the stream stays open')
    t.notOk(all.letters().some((e) => e.messageId === before4), 'no replay of b4\'s events from before the reload')
    t.notOk(all.letters().some((e) => e.messageId === after3), 'b3 is no longer the key\'s')
    t.same(all.letters().map((e) => e.agency), ['b3', 'b4'])
    await all.close()
  })

  t.test('a webhook endpoint removed from its file: pending deliveries end abandoned, /healthz forgets it', async (t) => {
    const b = net.nodes['node-b']!
    await send('b5')
    await send('b5')
    const pending = await waitFor('two failed attempts, pending', async () => {
      const r = await b.call('b5', 'GET', '/api/v1/webhooks/deliveries')
      return r.body.items?.length === 2 && r.body.items.every((d: { state: string; attempts: number }) => d.state === 'pending' && d.attempts >= 1) ? r.body : undefined
    })
    t.match(pending.endpoints, [{ name: 'b5/app', lastFailure: { status: 503 } }])
    const degraded = await waitFor('/healthz names the endpoint', async () => {
      const h = await (await fetch(`${b.apiUrl}/healthz`, { headers: { authorization: `Bearer ${apiKeyOf('b5')}` } })).json() as { checks?: Array<{ name: string; detail: string }> }
      return h.checks?.some((c) => c.name === 'webhooks' && c.detail.includes('b5/app')) ? h : undefined
    })
    t.ok(degraded)
    editAgencyFile(b.agenciesDir, 'b5', (f) => {
      const { webhooks: _, ...rest } = f
      return rest
    })
    t.match(b.ctx!.reloadAgencies(), { changed: ['b5'] })
    const r = await waitFor('abandoned', async () => {
      const r = await b.call('b5', 'GET', '/api/v1/webhooks/deliveries?state=abandoned')
      return r.body.items?.length === 2 ? r.body : undefined
    })
    t.same(r.endpoints, [], 'the endpoint is gone')
    for (const d of r.items) {
      t.match(d, { endpoint: 'b5/app', state: 'abandoned', lastError: 'endpoint removed from configuration', lastStatus: 503 })
      t.type(d.abandonedAt, 'string')
      t.notOk('nextAttemptAt' in d, 'no next attempt')
    }
    const h = await (await fetch(`${b.apiUrl}/healthz`, { headers: { authorization: `Bearer ${apiKeyOf('b5')}` } })).json() as { checks?: Array<{ name: string; detail: string }>; notifications: { webhooks: Record<string, number> } }
    t.notOk(h.checks?.some((c) => c.name === 'webhooks'), '/healthz: no webhook check left')
    t.match(h.notifications.webhooks, { pending: 0, abandoned: 2 })
  })
})
