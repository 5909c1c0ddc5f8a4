// The lead's integration path: our one Ajv instance as Fastify's validator, every schema added to
// Fastify for fast-json-stringify responses and @fastify/swagger (OpenAPI 3.1).
import t from 'tap'
import Fastify from 'fastify'
import swagger from '@fastify/swagger'
import { allSchemas, compileForFastify, componentName, schemaIds, schemaRef } from '../../src/schema/index.js'
import { SarabanError } from '../../src/errors.js'
import { draft, letter } from './schema-fixtures.test.js'

async function app() {
  const a = Fastify()
  a.setValidatorCompiler(({ schema, httpPart }) => compileForFastify(schema, httpPart))
  for (const s of allSchemas()) a.addSchema(s)
  await a.register(swagger, {
    openapi: { openapi: '3.1.0', info: { title: 't', version: '1' } },
    refResolver: { buildLocalReference: (json, _b, _f, i) => componentName(String((json as { $id?: string }).$id ?? `def-${i}`)) },
  })
  a.setErrorHandler((err, _req, reply) => {
    if (err instanceof SarabanError) return reply.code(err.status).send({ code: err.code, errors: err.errors })
    return reply.code(500).send({ code: 'other', message: (err as Error).message })
  })
  a.post('/letters', { schema: { body: schemaRef('apiLetterCreate'), response: { 202: schemaRef('apiLetterStatus') } } }, async (req, reply) => {
    const body = req.body as { letter: Record<string, unknown> }
    return reply.code(202).send({
      id: '0b7f3c1e-5d2a-4f8e-9c3b-1a2b3c4d5e6f',
      createdAt: '2026-11-25T08:00:00.000Z',
      sender: 'moi',
      status: 'queued',
      letter: { ...letter(), urgency: body.letter.urgency },
      recipients: [{ agency: 'mof', messageId: '1b7f3c1e-5d2a-4f8e-9c3b-1a2b3c4d5e6f', status: 'queued', attempts: 0, internal: 'dropped' }],
      extra: 'dropped',
    })
  })
  // the lead writes refs with a trailing '#'
  a.post('/hash', { schema: { body: { $ref: `${schemaIds.apiLetterCreate}#` } } }, async () => ({ ok: true }))
  a.get('/list', { schema: { querystring: schemaRef('apiListQuery') } }, async (req) => req.query)
  a.get('/m/:id', { schema: { params: schemaRef('apiIdParams') } }, async (req) => req.params)
  await a.ready()
  return a
}

t.test('valid body passes, defaults are filled, response is serialised by its schema', async (t) => {
  const a = await app()
  const res = await a.inject({ method: 'POST', url: '/letters', payload: { letter: draft() } })
  t.equal(res.statusCode, 202)
  const body = res.json()
  t.equal(body.letter.urgency, 'NORMAL', 'urgency default filled in the request')
  t.equal(body.extra, undefined, 'unknown members are not serialised')
  t.equal(body.recipients[0].internal, undefined)
  t.equal(body.letter.subject, 'ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์')
  await a.close()
})

t.test('letter problems are ERR_LETTER_INVALID with every field; others ERR_REQUEST_INVALID', async (t) => {
  const a = await app()
  const bad = { ...draft(), urgency: 'FAST', subject: '' }
  let res = await a.inject({ method: 'POST', url: '/letters', payload: { letter: bad } })
  t.equal(res.statusCode, 422)
  t.same(res.json(), {
    code: 'ERR_LETTER_INVALID',
    errors: [
      { field: '/letter/subject', message: 'must not be empty' },
      { field: '/letter/urgency', message: 'must be one of NORMAL, URGENT, VERY_URGENT, MOST_URGENT' },
    ],
  })
  res = await a.inject({ method: 'POST', url: '/letters', payload: { letter: draft(), attachments: [{ filename: 'a.pdf', mediaType: 'application/pdf', content: 'QUJD' }], x: 1 } })
  t.equal(res.statusCode, 400)
  t.same(res.json().errors, [{ field: '/x', message: 'is not an allowed property' }])
  res = await a.inject({ method: 'POST', url: '/hash', payload: { letter: { ...draft(), recipients: [{ agency: 'mof' }, { agency: 'mof' }] } } })
  t.equal(res.statusCode, 422, 'semantic rules run for $ref with a trailing #')
  t.same(res.json().errors, [{ field: '/letter/recipients/1/agency', message: 'must not repeat recipient 0 (mof)' }])
  await a.close()
})

t.test('query strings and params: canonical scalars are converted, nothing else', async (t) => {
  const a = await app()
  t.same((await a.inject('/list?limit=20')).json(), { limit: 20 })
  t.same((await a.inject('/list')).json(), { limit: 50 }, 'default')
  const bad = await a.inject('/list?limit=20x&cursor=not*a*cursor')
  t.equal(bad.statusCode, 400)
  t.same(bad.json().errors, [
    { field: '/limit', message: 'must be an integer' },
    { field: '/cursor', message: 'must be the nextCursor value of the previous page, unchanged' },
  ])
  t.equal((await a.inject('/list?limit=01')).statusCode, 400, 'no leading zeros')
  t.equal((await a.inject('/m/0b7f3c1e-5d2a-4f8e-9c3b-1a2b3c4d5e6f')).statusCode, 200)
  t.same((await a.inject('/m/0B7F3C1E-5D2A-4F8E-9C3B-1A2B3C4D5E6F')).json().errors, [{ field: '/id', message: 'must be a lowercase UUID (e.g. 0b7f3c1e-5d2a-4f8e-9c3b-1a2b3c4d5e6f)' }])
  await a.close()
})

t.test('OpenAPI 3.1 document is generated from the same schemas', async (t) => {
  const a = await app()
  const doc = a.swagger() as { openapi: string; components: { schemas: Record<string, unknown> }; paths: Record<string, unknown> }
  t.equal(doc.openapi, '3.1.0')
  t.ok(doc.components.schemas['api.letter-create.v1'], 'letter-create is a component')
  t.ok(doc.components.schemas['protocol.letter.v1'], 'letter is a component')
  const text = JSON.stringify(doc)
  t.notMatch(text, /"\$ref":"[^#]/, 'every $ref points into the document')
  t.ok(doc.paths['/letters'])
  await a.close()
})

t.test('every response schema builds a serializer and serialises a typical answer', async (t) => {
  const a = Fastify()
  for (const s of allSchemas()) a.addSchema(s)
  const uuid = '0b7f3c1e-5d2a-4f8e-9c3b-1a2b3c4d5e6f'
  const sha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
  const at = '2026-11-25T08:00:00.000Z'
  const samples: Array<[keyof typeof schemaIds & `api${string}`, unknown]> = [
    ['apiOutboxList', { items: [{ id: uuid, createdAt: at, sender: 'moi', subject: 'ขอเชิญประชุม', number: 'มท 0201.2/1590', urgency: 'URGENT', status: 'sending', recipients: [{ agency: 'mof', status: 'delivered' }, { agency: 'dga', status: 'queued' }] }], nextCursor: 'MTc2NDA1NzYwMDAwMDp4' }],
    ['apiInboxList', { items: [{ id: uuid, receivedAt: at, from: 'moi', to: 'mof', subject: 'ขอเชิญประชุม', urgency: 'NORMAL', secrecy: 'UNCLASSIFIED', attachments: 1 }] }],
    ['apiInboxMessage', {
      id: uuid, receivedAt: at, from: 'moi', to: 'mof', profile: 'jose-v1', envelopeSha256: sha, letter: letter(),
      attachments: [{ id: 'a1', filename: 'หนังสือเชิญประชุม.pdf', mediaType: 'application/pdf', size: 1, sha256: sha }],
      signer: { agency: 'moi', subject: 'CN=Ministry of Interior', fingerprint: sha, signedAt: at },
      verification: { signature: 'valid', signerChain: 'valid', signerIsSender: true, attachmentDigests: 'valid', checkedAt: at },
      receipt: 'eyJ.eyJ.sig',
    }],
    ['apiNodeInfo', { name: 'saraban-node', version: '0.1.0', protocol: 'saraban-federation/1', agencies: ['moi'], profiles: ['jose-v1'], federationUrl: 'https://127.0.0.1:8443' }],
    ['apiHealth', { status: 'ok', version: '0.1.0', agencies: ['moi'], outbox: { queued: 0, sending: 0, delivered: 3, failed: 0 }, directorySerial: 7 }],
    ['apiDirectory', { serial: 7, issuedAt: at, nextUpdate: at, agencies: [{ id: 'moi', nameTh: 'กระทรวงมหาดไทย', nameEn: 'Ministry of Interior', ecms: { ministry: '15', department: '00000' }, status: 'active', endpoints: ['https://127.0.0.1:8443'], profiles: ['jose-v1'] }] }],
    ['apiProblem', { type: 'urn:saraban:problem:ERR_NOT_FOUND', title: 'No such resource', status: 404, code: 'ERR_NOT_FOUND', detail: 'x', instance: '/x', errors: [{ field: '/id', message: 'm' }] }],
  ]
  for (const [name, body] of samples) a.get(`/${name}`, { schema: { response: { 200: { $ref: `${schemaIds[name]}#` } } } }, async () => body)
  await a.ready()
  for (const [name, body] of samples) {
    const res = await a.inject(`/${name}`)
    t.equal(res.statusCode, 200, name)
    t.same(res.json(), body, `${name} keeps every field`)
  }
  await a.close()
})
