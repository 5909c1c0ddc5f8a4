// The OpenAPI description as a contract (issue 20 §1–§3, §7): served at a stable URL without a key,
// equal to the committed snapshot the client is generated from, clean under a maintained linter
// (Redocly CLI), covering every route the server registers, and agreeing with what the server refuses.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { testNet, call, thaiLetter, type TestNet } from '../helpers/nodes.js'
import { registeredRoutes } from '../../src/api/openapi/routes.js'
import { OPERATIONS } from '../../src/api/openapi/operations.js'
import { SNAPSHOT, servedDescription } from './generate.js'
import { ResponseChecker } from './checker.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi'])
  await net.nodes.moi!.start()
})
t.teardown(async () => net?.stop())

const snapshot = () => JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, any>

t.test('served at /api/v1/openapi.json without a key, and equal to the committed snapshot', async (t) => {
  const res = await fetch(`${net.nodes.moi!.apiUrl}/api/v1/openapi.json`)
  t.equal(res.status, 200, 'no API key needed')
  t.match(res.headers.get('content-type'), /^application\/json/)
  const served = await servedDescription(net.nodes.moi!.apiUrl!)
  t.same(served, snapshot(), 'test/api-client/openapi.json is what the node serves (else: npx tsx test/api-client/generate.ts)')
  t.equal((await fetch(`${net.nodes.moi!.apiUrl}/docs/`)).status, 200, 'Swagger UI stays at /docs')
})

t.test('Redocly CLI (recommended rules) finds no error', async (t) => {
  const r = spawnSync('npx', ['--no-install', 'redocly', 'lint', SNAPSHOT, '--format=json'], { encoding: 'utf8', timeout: 120_000 })
  const out = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { totals: { errors: number }; problems: { ruleId: string; severity: string; message: string }[] }
  t.equal(out.totals.errors, 0, JSON.stringify(out.problems.filter((p) => p.severity === 'error').slice(0, 5)))
  t.equal(r.status, 0)
})

t.test('every route the server registers is described, and every row of the table is a route', async (t) => {
  const doc = snapshot()
  const routes = registeredRoutes(net.nodes.moi!.ctx!.api)
  t.ok(routes.length >= 40, `${routes.length} routes seen`)
  const described = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`))
  for (const r of routes) t.ok(described.includes(r), `${r} is in the description`)
  for (const r of routes) t.ok(OPERATIONS[r], `${r} has a row in src/api/openapi/operations.ts`)
  for (const key of Object.keys(OPERATIONS)) t.ok(routes.includes(key), `the row ${key} is a registered route`)
})

t.test('complete and readable: ids, tags, answers, errors, names', async (t) => {
  const doc = snapshot()
  t.ok(doc.servers?.length > 0, 'servers')
  t.same(doc.components.securitySchemes.bearer, { ...doc.components.securitySchemes.bearer, type: 'http', scheme: 'bearer' }, 'a bearer security scheme')
  const ids = new Set<string>()
  const texts = new Map<string, string>()
  for (const [p, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [m, op] of Object.entries(item)) {
      const where = `${m.toUpperCase()} ${p}`
      t.ok(op.operationId && !ids.has(op.operationId), `${where}: a unique operationId`)
      ids.add(op.operationId)
      t.ok(op.tags?.length === 1 && op.summary, `${where}: a tag and a summary`)
      t.ok(Object.keys(op.responses).some((s) => Number(s) >= 400), `${where}: its error answers`)
      for (const [status, r] of Object.entries(op.responses as Record<string, any>)) {
        t.not(r.description, 'Default Response', `${where} ${status}: described`)
        if (!r.content?.['application/problem+json']) {
          t.notOk(texts.has(r.description), `${where} ${status}: its own text (not ${texts.get(r.description)}'s)`)
          texts.set(r.description, `${where} ${status}`)
        } else {
          t.ok(Number(status) >= 400 && r.content['application/problem+json'].schema?.$ref === '#/components/schemas/Problem', `${where} ${status}: problem+json`)
        }
      }
    }
  }
  const names = Object.keys(doc.components.schemas)
  for (const n of ['Problem', 'RegisterEntry', 'SentLetter', 'ReceivedLetter', 'LetterDraft']) t.ok(names.includes(n), `schema ${n}`)
  t.same(names.filter((n) => /urn|config|_v1|^Node$|HostedAgency/i.test(n)), [], 'no schema id as a name, no config schema')
  const send = doc.paths['/api/v1/letters'].post
  t.ok(send.parameters.some((p: any) => p.$ref === '#/components/parameters/IdempotencyKey'), 'send: Idempotency-Key')
  t.ok(send.responses['202'].headers['Idempotent-Replayed'] && send.responses['202'].headers.Location, 'send: Idempotent-Replayed, Location')
  t.match(send.requestBody.content['application/json'].example.letter.subject, /ประชุม/, 'a Thai example')
  const att = doc.paths['/api/v1/inbox/{id}/attachments/{attachmentId}'].get
  t.ok(att.responses['206'] && att.responses['416'] && att.responses['200'].headers.ETag && att.responses['200'].headers['Repr-Digest'], 'attachment: 206, 416, ETag, Repr-Digest')
  t.ok(att.parameters.some((p: any) => p.$ref === '#/components/parameters/Range'), 'attachment: Range')
  t.ok(doc.paths['/api/v1/letters/{id}/evidence'].get.responses['200'].content['application/x-tar'], 'evidence: a tar')
  t.ok(doc.paths['/api/v1/registers/{book}/export.pdf'].get.responses['200'].content['application/pdf'], 'register: a PDF')
  t.ok(doc.paths['/api/v1/events'].get.parameters.some((p: any) => p.$ref === '#/components/parameters/LastEventID'), 'events: Last-Event-ID')
})

t.test('one limit per field: the description says what the server refuses, with one error (issue 20 §7)', async (t) => {
  const doc = snapshot()
  const checker = new ResponseChecker(doc)
  const max = doc.components.schemas.Subject?.maxLength ?? doc.components.schemas.LetterSubject?.maxLength
  t.equal(max, 500, 'the description: a subject of at most 500 characters')
  const moi = net.nodes.moi!
  for (const length of [max + 1, 5000]) {
    const res = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['moi'], { subject: 'ก'.repeat(length) }) })
    t.equal(res.status, 422)
    t.same(res.body.errors, [{ field: '/letter/subject', message: `must be at most ${max} characters long` }], `${length} characters: one error`)
    t.same(checker.check('POST', '/api/v1/letters', res.status, res.headers.get('content-type'), res.body), [], 'the refusal is described')
  }
  const ok = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['moi'], { subject: 'ก'.repeat(max) }) })
  t.equal(ok.status, 202, `${max} characters: sent`)
  t.same(checker.check('POST', '/api/v1/letters', ok.status, ok.headers.get('content-type'), ok.body), [], 'and the answer validates')
})
