// Fuzz target: the local REST API (issue 13 §4): JSON and multipart letters, register numbers,
// notices, path ids, query strings, headers (Authorization, Content-Type, Idempotency-Key, Accept)
// and Range on a real received attachment. Oracle: no 5xx, no hang, problem+json refusals, and no
// row written (letters, messages, register entries, notices) by a request that was refused.
import { Client } from 'undici'
import { testNet, thaiLetter, waitForRecipient, call, type TestNet } from '../helpers/nodes.js'
import type { Rng } from '../helpers/prng.js'
import { mutateBytes, mutateJsonObject } from './mutate.js'
import { codeOf, httpViolations, type Outcome } from './oracle.js'
import { answers, exchange } from './http.js'
import type { Target } from './engine.js'

interface Req {
  method: string
  path: string
  headers: Record<string, string>
  body?: Buffer
  what: string
}

const ODD_IDS = ['', '..', '%2e%2e%2f', '00000000-0000-4000-8000-000000000000', 'x'.repeat(2000), '%00', '%ff%fe', 'ก', '1e9', '-1', '🙂', '%', '%%', 'a/b', '?x=1', '#', ' ']
const ODD_QUERY = ['', 'limit=0', 'limit=-1', 'limit=1e9', 'limit=abc', 'limit=1&limit=2', 'cursor=%ff', 'cursor=' + 'A'.repeat(5000), 'agency=dga', 'agency=', 'year=0', 'year=99999', 'year=2569.5', 'after=-1', 'after=x', 'since=abc', '__proto__[x]=1', 'a=%', 'limit=10&cursor=eyJ4IjoxfQ']
const RANGES = ['bytes=0-0', 'bytes=0-', 'bytes=-1', 'bytes=5-2', 'bytes=0-99999999', 'bytes=99999-', 'bytes=-0', 'bytes=0-1,2-3', 'bytes=', 'items=0-1', 'bytes=a-b', 'bytes=18446744073709551616-', 'bytes=-18446744073709551616', 'bytes= 0-1']

export async function apiTarget(opts: { timeoutMs: number }): Promise<Target> {
  const net: TestNet = await testNet(['moi', 'mof'])
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
  const moi = net.nodes.moi!
  // A received letter with an attachment at moi, for the inbox, attachment and Range routes.
  const pdf = Buffer.from('%PDF-1.4\n' + 'fuzz '.repeat(200))
  const sent = await call(net.nodes.mof!, 'POST', '/api/v1/letters', { letter: thaiLetter(['moi']), attachments: [{ filename: 'a.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }] })
  await waitForRecipient(net.nodes.mof!, sent.body.id, 'delivered')
  const inboxId = (await call(moi, 'GET', '/api/v1/inbox')).body.items[0].id as string
  const attachmentId = (await call(moi, 'GET', `/api/v1/inbox/${inboxId}`)).body.attachments[0].id as string
  const ownLetter = (await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })).body.id as string
  const client = new Client(moi.apiUrl!, { headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs })
  const db = moi.ctx!.db.sqlite
  const rows = () => (db.prepare(`SELECT (SELECT count(*) FROM letters) + (SELECT count(*) FROM outbox_messages)
    + (SELECT count(*) FROM register_entries) + (SELECT count(*) FROM notices) AS n`).get() as { n: number }).n

  const auth = { authorization: `Bearer ${moi.apiKey}` }
  const json = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o))

  const letterRequest = (rng: Rng): Req => {
    const letter = thaiLetter(['mof'], { subject: `fuzz ${rng.int(1e9)}` }) as Record<string, unknown>
    const body: Record<string, unknown> = { letter, ...(rng.chance(0.3) ? { attachments: [{ filename: 'a.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }] } : {}) }
    const headers: Record<string, string> = { ...auth, 'content-type': 'application/json' }
    if (rng.chance(0.2)) headers['idempotency-key'] = rng.pick(['k', '', ' ', 'x'.repeat(300), 'ก', `key-${rng.int(5)}`])
    switch (rng.int(6)) {
      case 0: {
        const m = mutateJsonObject(rng, letter, ['urgency', 'secrecy', 'copyTo', 'deliverBy', 'references', 'attachments'])
        return { method: 'POST', path: '/api/v1/letters', headers, body: json({ ...body, letter: m.value }), what: `POST /api/v1/letters letter.${m.name}` }
      }
      case 1: {
        const m = mutateJsonObject(rng, body, ['x', 'draft'])
        return { method: 'POST', path: '/api/v1/letters', headers, body: json(m.value), what: `POST /api/v1/letters body.${m.name}` }
      }
      case 2: {
        const m = mutateBytes(rng, json(body))
        return { method: 'POST', path: '/api/v1/letters', headers, body: m.bytes, what: `POST /api/v1/letters ${m.name}` }
      }
      case 3:
        headers['content-type'] = rng.pick(['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'APPLICATION/JSON', '', 'multipart/form-data', 'multipart/form-data; boundary=', 'application/octet-stream'])
        return { method: 'POST', path: '/api/v1/letters', headers, body: json(body), what: 'POST /api/v1/letters content-type' }
      case 4: {
        // multipart/form-data (RFC 7578): the letter part, file parts, then a change
        const boundary = `fuzz${rng.int(1e9)}`
        const part = (headersText: string, content: Buffer | string) => Buffer.concat([Buffer.from(`--${boundary}\r\n${headersText}\r\n\r\n`), Buffer.from(content), Buffer.from('\r\n')])
        const parts = [
          part('Content-Disposition: form-data; name="letter"', JSON.stringify(letter)),
          ...Array.from({ length: rng.int(3) }, (_, i) => part(`Content-Disposition: form-data; name="attachment"; filename="${rng.pick(['a.pdf', '../x', '', 'ก.pdf', '"'])}${i}"\r\nContent-Type: ${rng.pick(['application/pdf', 'text/html', '', 'x'])}`, pdf)),
          Buffer.from(`--${boundary}--\r\n`),
        ]
        const m = rng.chance(0.7) ? mutateBytes(rng, Buffer.concat(parts)) : { bytes: Buffer.concat(parts), name: 'none' }
        headers['content-type'] = rng.chance(0.9) ? `multipart/form-data; boundary=${boundary}` : 'multipart/form-data; boundary=other'
        return { method: 'POST', path: '/api/v1/letters', headers, body: m.bytes, what: `POST /api/v1/letters multipart.${m.name}` }
      }
      default:
        return { method: 'POST', path: '/api/v1/letters', headers, body: json(body), what: 'POST /api/v1/letters valid' }
    }
  }

  const otherRequest = (rng: Rng): Req => {
    const id = rng.chance(0.6) ? encodeURIComponent(rng.pick(ODD_IDS)).replace(/%25/g, rng.chance(0.5) ? '%' : '%25') : rng.pick([inboxId, ownLetter])
    const q = rng.chance(0.6) ? `?${rng.pick(ODD_QUERY)}` : ''
    const headers: Record<string, string> = { ...auth }
    switch (rng.int(9)) {
      case 0:
        return { method: 'GET', path: rng.pick(['/api/v1/letters/', '/api/v1/inbox/', '/api/v1/letters/']) + id + rng.pick(['', '/evidence']), headers, what: 'GET by id' }
      case 1:
        return { method: 'GET', path: rng.pick(['/api/v1/outbox', '/api/v1/inbox', '/api/v1/events', '/api/v1/webhooks/deliveries', '/api/v1/registers/send', '/api/v1/registers/receive']) + q, headers: { ...headers, accept: rng.pick(['application/json', 'text/csv', 'application/pdf', '*/*', 'text/event-stream', 'x']) }, what: 'GET list query' }
      case 2:
        headers.range = rng.pick(RANGES)
        if (rng.chance(0.3)) headers['if-range'] = rng.pick(['"x"', 'W/"x"', 'Tue, 01 Jan 2030 00:00:00 GMT', ''])
        return { method: 'GET', path: `/api/v1/inbox/${inboxId}/attachments/${rng.chance(0.8) ? attachmentId : id}`, headers, what: 'GET attachment Range' }
      case 3: {
        const m = mutateJsonObject(rng, { letterNumber: 'มท 1/1', subject: 'x', from: 'a', to: 'b' }, ['agency', 'number'])
        if (rng.chance(0.3)) headers['idempotency-key'] = `reg-${rng.int(4)}`
        return { method: 'POST', path: `/api/v1/registers/${rng.pick(['send', 'receive', 'circular', 'nope', id])}/numbers`, headers: { ...headers, 'content-type': 'application/json' }, body: json(m.value), what: `POST register number ${m.name}` }
      }
      case 4:
        return { method: 'POST', path: `/api/v1/registers/${rng.pick(['send', 'receive'])}/entries/${rng.pick(['2569', '0', 'x', '-1'])}/${rng.pick(['1', '0', '99999', 'x'])}/cancel`, headers: { ...headers, 'content-type': 'application/json' }, body: json(rng.pick([{ reason: 'x' }, {}, { reason: '' }, 'null'])), what: 'POST register cancel' }
      case 5: {
        const act = rng.pick(['register', 'reject'])
        const m = mutateJsonObject(rng, act === 'reject' ? { reasonCode: 'wrong-agency', reason: 'x' } : { book: 'receive' }, ['number', 'year'])
        return { method: 'POST', path: `/api/v1/inbox/${rng.chance(0.5) ? inboxId : id}/${act}`, headers: { ...headers, 'content-type': 'application/json' }, body: json(m.value), what: `POST inbox ${act} ${m.name}` }
      }
      case 6: {
        const m = mutateJsonObject(rng, { reason: 'x', recipients: ['mof'] }, [])
        return { method: 'POST', path: `/api/v1/letters/${rng.chance(0.5) ? ownLetter : id}/withdraw`, headers: { ...headers, 'content-type': 'application/json' }, body: json(m.value), what: `POST withdraw ${m.name}` }
      }
      case 7:
        // authorization and methods
        return { method: rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']), path: rng.pick(['/api/v1/outbox', '/api/v1/letters', '/api/v1/node', '/healthz', '/api/v1/nope', '/docs/json']),
          headers: { authorization: rng.pick(['', 'Bearer', 'Bearer x', `bearer ${moi.apiKey}`, `Basic ${moi.apiKey}`, `Bearer ${moi.apiKey} x`, auth.authorization]) }, what: 'auth/method' }
      default:
        return { method: 'GET', path: `/api/v1/${id}${q}`, headers, what: 'GET odd path' }
    }
  }

  const one = async (rng: Rng): Promise<Outcome> => {
    const r = rng.chance(0.45) ? letterRequest(rng) : otherRequest(rng)
    const repro = { method: r.method, path: r.path, headers: r.headers, body: r.body?.toString('base64') }
    const before = rows()
    const x = await exchange(client, { method: r.method as 'GET', path: r.path, headers: r.headers, ...(r.body ? { body: r.body } : {}) })
    if (typeof x.status === 'string' || !('answer' in x)) return { target: 'api', input: r.what, status: String(x.status), violations: 'violation' in x && x.violation ? [x.violation] : [], repro }
    const { status, contentType, answer } = x
    const violations = httpViolations(status, contentType, answer)
    const after = rows()
    if (status >= 300 && after !== before) violations.push(`stored-on-refusal: ${after - before} rows for a ${status}`)
    return { target: 'api', input: `${r.what}`, status: String(status), code: codeOf(answer), violations, repro }
  }

  return {
    one,
    alive: () => answers(client, '/healthz'),
    async close() {
      await client.close()
      await net.stop()
    },
  }
}
