// GET /api/v1/directory, GET /api/v1/node, GET /healthz
import type { FastifyInstance } from 'fastify'
import type { ApiDeps } from '../server.js'
import { schemaIds } from '../../schema/index.js'
import { SarabanError } from '../../errors.js'

const ref = (id: string) => ({ $ref: `${id}#` })

export async function infoRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get<{ Params: { id: string } }>('/api/v1/directory/agencies/:id', {
    schema: { summary: 'One agency of the directory, with its certificates and its classified-information officers (PROTOCOL.md §19.1)', tags: ['node'], response: { 200: ref(schemaIds.apiDirectoryEntry) } },
  }, async (request) => {
    const a = deps.directory().agency(request.params.id)
    if (!a) throw new SarabanError('ERR_NOT_FOUND', `Agency "${request.params.id}" is not in the federation directory.`)
    return { id: a.id, nameTh: a.nameTh, nameEn: a.nameEn, ...(a.ecms ? { ecms: a.ecms } : {}), status: a.status, endpoints: a.endpoints, profiles: a.profiles, certificates: a.certificates, ...(a.officers ? { officers: a.officers } : {}) }
  })

  app.get('/api/v1/directory', {
    schema: { summary: 'The federation directory this node trusts now', tags: ['node'], response: { 200: ref(schemaIds.apiDirectory) } },
  }, async () => {
    const doc = deps.directory().document()
    return {
      serial: doc.serial,
      issuedAt: doc.issuedAt,
      nextUpdate: doc.nextUpdate,
      agencies: doc.agencies.map((a) => ({
        id: a.id,
        nameTh: a.nameTh,
        nameEn: a.nameEn,
        ...(a.ecms ? { ecms: a.ecms } : {}),
        status: a.status,
        endpoints: a.endpoints,
        profiles: a.profiles,
        // PROTOCOL.md §19.1: officers are public to the federation, like agencies' certificates.
        ...(a.officers ? { officers: a.officers } : {}),
      })),
    }
  })

  app.get('/api/v1/node', { schema: { summary: 'This node: hosted agencies, version, profiles', tags: ['node'], response: { 200: ref(schemaIds.apiNodeInfo) } } }, async () => ({
    name: 'saraban-node',
    version: deps.version,
    protocol: 'saraban-federation/1',
    agencies: deps.hosted.ids(),
    profiles: deps.profiles.ids(),
    federationUrl: deps.federationUrl,
  }))

  // Without a key: the status only. With one: the details, the hosted agencies among the key's own
  // (issue 13 §1: URLs, agency ids, queue counts and error texts are not for anyone who can connect).
  app.get('/healthz', {
    schema: { summary: 'Liveness (status only without an API key); queue state and checks with one', tags: ['node'], security: [{}, { bearer: [] }], response: { 200: ref(schemaIds.apiHealth), 503: ref(schemaIds.apiHealth) } },
  }, async (req, reply) => {
    const h = deps.health()
    const code = h.status === 'ok' ? 200 : 503
    if (!req.caller) return reply.code(code).send({ status: h.status })
    const mine = new Set(req.caller.agencies)
    return reply.code(code).send({ ...h, agencies: h.agencies.filter((a) => mine.has(a)) })
  })
}
