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

  app.get('/healthz', { schema: { summary: 'Liveness and queue state', tags: ['node'], security: [], response: { 200: ref(schemaIds.apiHealth), 503: ref(schemaIds.apiHealth) } } }, async (_req, reply) => {
    const h = deps.health()
    return reply.code(h.status === 'ok' ? 200 : 503).send(h)
  })
}
