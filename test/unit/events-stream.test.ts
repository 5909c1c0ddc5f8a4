// The SSE streams (issue 5 §6) over a real HTTP socket and a real SQLite file: replay and live are one
// loop (no gap, no duplicate while events keep coming), a client that stops reading costs bounded memory
// and is dropped, then resumes; retention and unknown ids are announced with stream.truncated.
import t from 'tap'
import { createServer, get, type IncomingMessage } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { Db } from '../../src/storage/index.js'
import { Events, keyAccess, resumePoint } from '../../src/services/events/index.js'
import { seeNow } from '../../src/services/events/stream-access.js'
import { createLogger } from '../../src/log.js'

const log = createLogger('silent')

async function setup(t: { teardown(fn: () => void | Promise<void>): void }, stream: Partial<{ slowClientMs: number; maxStreams: number; maxStreamsPerAgency: number; batch: number }> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-stream-'))
  const db = Db.open(join(dir, 'saraban.sqlite'), { synchronous: 'NORMAL' })
  let now = Date.parse('2026-11-26T00:00:00Z')
  const events = new Events({
    db, clock: { now: () => now }, log, endpoints: [], userAgent: 't',
    settings: {
      retentionDays: 1, pruneIntervalMs: 3_600_000,
      stream: { heartbeatMs: 60_000, slowClientMs: stream.slowClientMs ?? 5000, batch: stream.batch ?? 50, maxStreams: stream.maxStreams ?? 10, ...(stream.maxStreamsPerAgency ? { maxStreamsPerAgency: stream.maxStreamsPerAgency } : {}), retryMs: 1000 },
      webhooks: { maxAttempts: 1, initialBackoffMs: 1, maxBackoffMs: 1, timeoutMs: 1000, concurrency: 1, perEndpoint: 1, allowPrivateTargets: true, allowedTargets: [] },
    },
  })
  // The stream route in miniature: ?after=N, ?agency= (default moi).
  const server = createServer((req, res) => {
    const q = new URL(req.url!, 'http://x').searchParams
    const after = Number(q.get('after') ?? events.store.lastIssuedId())
    events.streams.open(res, { agencies: (q.get('agency') ?? 'moi').split(','), afterId: after })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  t.teardown(async () => {
    await events.stop()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const emit = (n: number, agency = 'moi', pad = 0) => db.write(() => {
    for (let i = 0; i < n; i++) events.sink.emit({ agency, type: 'letter.received', data: pad ? { pad: 'x'.repeat(pad) } : {} })
  })
  return { db, events, port, emit, advance: (ms: number) => { now += ms } }
}

function connect(port: number, after?: number, agency?: string): Promise<IncomingMessage> {
  const q = [after === undefined ? '' : `after=${after}`, agency === undefined ? '' : `agency=${agency}`].filter(Boolean).join('&')
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: q ? `/?${q}` : '/' }, resolve).on('error', reject)
  })
}

/** Reads frames until `until` says stop; returns them as {id, event, data}. */
async function read(res: IncomingMessage, until: (frames: Array<Record<string, string>>) => boolean) {
  const frames: Array<Record<string, string>> = []
  let buf = ''
  for await (const chunk of res) {
    buf += String(chunk)
    let i
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const f: Record<string, string> = {}
      for (const line of buf.slice(0, i).split('\n')) {
        const m = /^([a-z]+): (.*)$/.exec(line)
        if (m) f[m[1]!] = m[2]!
      }
      buf = buf.slice(i + 2)
      if (f.id !== undefined) frames.push(f)
    }
    if (until(frames)) break
  }
  res.destroy()
  return frames
}

t.test('replay switches to live while events keep coming: every id once, in order', async (t) => {
  const { port, emit } = await setup(t)
  await emit(300)
  await emit(5, 'mof') // not for this stream
  const res = await connect(port, 0)
  const reading = read(res, (f) => f.length >= 600)
  for (let i = 0; i < 30; i++) {
    await emit(10)
    await new Promise((r) => setImmediate(r))
  }
  const frames = await reading
  const ids = frames.map((f) => Number(f.id))
  const expected = [...Array(300).keys()].map((i) => i + 1).concat([...Array(300).keys()].map((i) => i + 306))
  t.same(ids, expected, 'ids 1-300 (replay), then 306-605 (live), none twice, none missing')
  t.ok(frames.every((f) => f.event === 'letter.received' && JSON.parse(f.data!).agency === 'moi'))
})

t.test('a client that stops reading costs bounded memory, is dropped, and resumes with its last id', async (t) => {
  const { events, port, emit } = await setup(t, { slowClientMs: 300 })
  const res = await connect(port)
  res.pause() // reads nothing: the kernel buffers fill, then the server's socket
  let peak = 0
  for (let i = 0; i < 40; i++) {
    await emit(100, 'moi', 3800)
    peak = Math.max(peak, events.streams.buffered())
  }
  t.ok(peak < 1_000_000, `buffered at most ${peak} bytes for ~16 MB of events (one batch above the high-water mark)`)
  await new Promise((r) => setTimeout(r, 600))
  peak = Math.max(peak, events.streams.buffered())
  t.equal(events.streams.size, 0, 'dropped after slowClientMs without draining')
  // what it got before the drop, then a resume from the last complete frame
  const got = await read(res.resume(), () => false).catch(() => [])
  const last = got.length > 0 ? Number(got[got.length - 1]!.id) : 0
  t.ok(last < 4000, `the slow client got only ${last} events`)
  const again = await read(await connect(port, last), (f) => Number(f.at(-1)?.id ?? 0) >= 4000)
  t.equal(Number(again[0]!.id), last + 1, 'resumes right after its last event')
  t.equal(again.length, 4000 - last)
})

t.test('retention and unknown ids are announced with stream.truncated (and the JSON rule)', async (t) => {
  const { events, port, emit, advance } = await setup(t)
  await emit(5)
  advance(2 * 86_400_000)
  await emit(2)
  await events.prune()
  t.equal(events.store.prunedThrough(), 5)
  const frames = await read(await connect(port, 2), (f) => f.length >= 3)
  t.same(frames.map((f) => [f.id, f.event]), [['5', 'stream.truncated'], ['6', 'letter.received'], ['7', 'letter.received']])
  t.same(JSON.parse(frames[0]!.data!), { after: 2, resumeAfter: 5, reason: 'pruned' })
  const unknown = await read(await connect(port, 99), (f) => f.length >= 3)
  t.same(unknown.map((f) => f.id), ['0', '6', '7'], 'an id this database never issued: everything kept, from the start')
  t.equal(JSON.parse(unknown[0]!.data!).reason, 'unknown-id')
  t.same(resumePoint(7, 5, 7), undefined, 'the newest id: nothing missed')
})

t.test('maxStreams', async (t) => {
  const { events, port } = await setup(t, { maxStreams: 1 })
  t.ok(events.streams.hasRoom())
  const res = await connect(port)
  await new Promise((r) => setTimeout(r, 50))
  t.notOk(events.streams.hasRoom())
  res.destroy()
  await new Promise((r) => setTimeout(r, 50))
  t.ok(events.streams.hasRoom(), 'a closed client frees its slot')
})

// Issue 13 §2: the node's streams were one pool, so one agency of a hosting node could take them all.
t.test('maxStreamsPerAgency: one agency cannot take the streams of the others', async (t) => {
  const { events, port } = await setup(t, { maxStreams: 4, maxStreamsPerAgency: 2 })
  const open = [await connect(port, undefined, 'a1'), await connect(port, undefined, 'a1')]
  await new Promise((r) => setTimeout(r, 50))
  t.same(events.streams.roomFor(['a1']), { agency: 'a1' }, 'a1 is at its limit')
  t.equal(events.streams.roomFor(['a2']), true, 'a2 still has room')
  t.same(events.streams.roomFor(['a2', 'a1']), { agency: 'a1' }, 'a stream that would also see a1 counts for a1')
  open.push(await connect(port, undefined, 'a2'), await connect(port, undefined, 'a3'))
  await new Promise((r) => setTimeout(r, 50))
  t.equal(events.streams.roomFor(['a4']), 'node', 'the node limit still holds')
  open[0]!.destroy()
  await new Promise((r) => setTimeout(r, 50))
  t.equal(events.streams.roomFor(['a1']), true, 'a closed stream frees its agency\'s slot')
  for (const r of open) r.destroy()
})

t.test('stream access after a reload: why a stream ends, and where added agencies start', async (t) => {
  let now: string[] | undefined = ['b1', 'b2']
  const hosted = new Set(['b1', 'b2'])
  const all = keyAccess(() => now, undefined, ['b1', 'b2'], (a) => hosted.has(a))
  const one = keyAccess(() => now, 'b2', ['b1', 'b2'], (a) => hosted.has(a))
  t.same(all(), { ok: true, agencies: ['b1', 'b2'] })
  t.same(one(), { ok: true, agencies: ['b2'] })
  now = ['b1']
  t.match(one(), { ok: false, reason: 'agency-not-covered', code: 'ERR_FORBIDDEN' })
  t.same(all(), { ok: true, agencies: ['b1'] })
  now = undefined
  t.match(all(), { ok: false, reason: 'key-revoked', code: 'ERR_UNAUTHORIZED' }, 'gone while its agencies are still hosted')
  hosted.clear()
  t.match(all(), { ok: false, reason: 'agency-removed', code: 'ERR_UNAUTHORIZED' }, 'gone with its agencies')

  const since = new Map<string, number>()
  t.same(seeNow(['b1'], ['b1', 'b3'], since, 40), ['b1', 'b3'])
  t.same([...since], [['b3', 40]], 'b3 from the last id issued at the reload on')
  t.same(seeNow(['b1', 'b3'], ['b1', 'b3'], since, 55), ['b1', 'b3'])
  t.same([...since], [['b3', 40]], 'an agency already sent keeps its start')
  t.same(seeNow(['b1', 'b3'], ['b1'], since, 60), ['b1'])
  t.same([...since], [], 'dropped with the agency')
})

t.test('reauthorize: a stream with access gains agencies from now on, or is told why and ended', async (t) => {
  const { events, emit } = await setup(t)
  const server = createServer()
  let access: ReturnType<typeof keyAccess> = () => ({ ok: true, agencies: ['moi'] })
  server.on('request', (_req, res) => events.streams.open(res, { agencies: ['moi'], afterId: 0, access: () => access() }))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => {
    server.closeAllConnections()
    server.close(() => r())
  }))
  await emit(2, 'mof') // 1, 2: mof's, before the key covers mof
  await emit(1, 'moi') // 3
  const res = await new Promise<IncomingMessage>((resolve, reject) => get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/' }, resolve).on('error', reject))
  let text = ''
  res.on('data', (c) => { text += String(c) })
  const ended = new Promise((r) => res.on('end', r))
  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 10))
    t.ok(ok(), what)
  }
  await until('moi\'s event', () => text.includes('id: 3\n'))
  access = () => ({ ok: true, agencies: ['moi', 'mof'] })
  t.equal(events.streams.reauthorize(), 0)
  await emit(1, 'mof') // 4
  await until('mof\'s new event', () => text.includes('id: 4\n'))
  t.notMatch(text, /^id: [12]$/m, 'mof\'s events from before the reload are not sent')
  access = () => ({ ok: false, reason: 'key-revoked', code: 'ERR_UNAUTHORIZED', message: 'revoked' })
  t.equal(events.streams.reauthorize(), 1)
  await ended
  t.match(text, /event: stream\.closed\ndata: \{"reason":"key-revoked","code":"ERR_UNAUTHORIZED","message":"revoked"\}\n\n$/)
  t.equal(events.streams.size, 0)
})
