// Issue 17 item 8 (b): SIGTERM is a graceful stop. Real processes (`saraban-node start`): letters are
// posted to the sender, and while they are being delivered the sender gets SIGTERM, then (restarted)
// the receiver gets SIGTERM while letters arrive. Each exits 0; after the restarts every letter is
// delivered once: the receiver holds each letter once, the sender a receipt for each, byte-identical.
import t from 'tap'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { writeNetFiles, freePort, thaiLetter } from '../helpers/nodes.js'
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js'

t.setTimeout(600_000)
const LETTERS = 30
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const marker = (i: number) => `TERM-${String(i).padStart(4, '0')}`

const apiPorts = { moi: await freePort(), mof: await freePort() }
const files = await writeNetFiles(['moi', 'mof'], { apiPorts, delivery: { initialBackoffMs: 100, maxBackoffMs: 1000, maxAttempts: 1000, shutdownGraceMs: 20_000 }, logLevel: 'warn' })
const procs: Partial<Record<'moi' | 'mof', NodeProcess>> = {}
t.teardown(async () => {
  for (const p of Object.values(procs)) {
    p.child.kill('SIGKILL')
    await p.exited
  }
  rmSync(files.dir, { recursive: true, force: true })
})

const start = async (id: 'moi' | 'mof') => { procs[id] = await startNodeProcess(files.agencies[id]!.configFile, { apiPort: apiPorts[id] }) }
const term = async (id: 'moi' | 'mof'): Promise<number | null> => {
  const p = procs[id]!
  delete procs[id]
  p.child.kill('SIGTERM')
  return p.exited
}

/** One API call; a connection error is status 0 (the caller retries). */
const api = async (id: 'moi' | 'mof', method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  try {
    const res = await fetch(`http://127.0.0.1:${apiPorts[id]}${path}`, {
      method,
      headers: { authorization: `Bearer ${files.agencies[id]!.apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    })
    return { status: res.status, body: (await res.json()) as any }
  } catch {
    return { status: 0, body: undefined as any }
  }
}

/** Letters whose recipient is delivered, by the sender's API. */
const delivered = async (ids: string[]) => {
  let n = 0
  for (const id of ids) {
    const r = await api('moi', 'GET', `/api/v1/letters/${id}`)
    if (r.status === 200 && r.body.recipients.every((x: { status: string }) => x.status === 'delivered')) n++
  }
  return n
}

// A PDF-sized attachment, so that sealing and delivery take a moment on loopback.
const attachment = { filename: 'annex.pdf', mediaType: 'application/pdf', content: Buffer.alloc(512 * 1024, 7).toString('base64') }

t.test(`SIGTERM while ${LETTERS} letters are posted and delivered: exit 0, and after restart each letter once with its receipt`, async (t) => {
  await Promise.all([start('moi'), start('mof')])
  const ids: string[] = []
  let retries = 0
  // The saraban system: one Idempotency-Key per letter, the same request again until a 2xx (README
  // "Idempotency-Key"), so a POST cut by the sender's stop is neither lost nor doubled.
  const post = async (i: number) => {
    for (;;) {
      const r = await api('moi', 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `หยุดอย่างนุ่มนวล ${marker(i)}` }), attachments: [attachment] }, { 'idempotency-key': `term-${i}` })
      if (r.status === 202 || r.status === 200) return void ids.push(r.body.id)
      if (!(r.status === 0 || r.status >= 500 || (r.status === 409 && r.body?.code === 'ERR_IDEMPOTENCY_IN_FLIGHT'))) throw new Error(`${marker(i)}: ${r.status} ${JSON.stringify(r.body)}`)
      retries++
      await sleep(200)
    }
  }
  let next = 0
  const clients = Promise.all(Array.from({ length: 4 }, async () => { while (next < LETTERS) await post(next++) }))
  // The sender stops while letters are posted and delivered; then the receiver, while they arrive.
  while (ids.length < LETTERS / 3) await sleep(20)
  t.equal(await term('moi'), 0, 'the sender exits 0 on SIGTERM')
  t.comment(`the sender got SIGTERM after ${ids.length} of ${LETTERS} letters were accepted`)
  await start('moi')
  while (ids.length < (2 * LETTERS) / 3) await sleep(20)
  t.equal(await term('mof'), 0, 'the receiver exits 0 on SIGTERM')
  t.comment(`the receiver got SIGTERM after ${ids.length} of ${LETTERS} letters were accepted`)
  await start('mof')
  await clients
  t.comment(`${retries} POSTs retried`)
  t.equal(ids.length, LETTERS, 'every letter accepted once (after retries)')

  const end = Date.now() + 120_000
  while ((await delivered(ids)) < LETTERS && Date.now() < end) await sleep(250)
  t.equal(await delivered(ids), LETTERS, 'every letter delivered after the restarts')
  t.equal(await term('moi'), 0)
  t.equal(await term('mof'), 0)

  const s = new Database(join(files.dir, 'moi', 'data', 'saraban.sqlite'), { readonly: true })
  const r = new Database(join(files.dir, 'mof', 'data', 'saraban.sqlite'), { readonly: true })
  try {
    const inbox = r.prepare('SELECT message_id, letter_json, receipt FROM inbox_messages').all() as Array<{ message_id: string; letter_json: string; receipt: string }>
    const perMarker = new Map<string, number>()
    for (const m of inbox) {
      const k = /TERM-\d+/.exec(JSON.parse(m.letter_json).subject)?.[0] ?? '?'
      perMarker.set(k, (perMarker.get(k) ?? 0) + 1)
    }
    t.same([...perMarker.entries()].filter(([, n]) => n !== 1), [], 'no letter twice at the receiver')
    t.equal(perMarker.size, LETTERS, 'every letter at the receiver')
    const sent = s.prepare('SELECT message_id, receipt FROM outbox_messages WHERE recipient_agency = ?').all('mof') as Array<{ message_id: string; receipt: string | null }>
    t.equal(sent.length, LETTERS)
    t.same(sent.filter((m) => m.receipt === null).map((m) => m.message_id), [], 'the sender holds a receipt for each')
    const byId = new Map(inbox.map((m) => [m.message_id, m.receipt]))
    t.same(sent.filter((m) => byId.get(m.message_id) !== m.receipt).map((m) => m.message_id), [], 'each receipt byte-identical on both sides')
  } finally {
    s.close()
    r.close()
  }
})
