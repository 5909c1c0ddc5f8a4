// /api/v1/classified (PROTOCOL.md §19.5): the classified path for the officers' software. Every
// route needs a key with the classified scope; without it, the node answers 404 as for an unknown
// path or id (and records the attempt), so such a key does not learn that classified items exist.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { schemaIds, schemas } from '../../schema/index.js'
import type { ClassifiedCaller, ClassifiedDeps } from '../../services/classified/deps.js'
import { reserveControlNumber, submitClassified, type SubmitBody } from '../../services/classified/submit.js'
import { accessOf, downloadInner, getItem, listItems } from '../../services/classified/views.js'
import { acknowledge, destroy, dispatchByHand, forward, type ByHandBody } from '../../services/classified/acts.js'
import { inspectionReport } from '../../services/classified/report.js'
import { exportEvidence } from '../../services/classified/evidence.js'

const ref = (id: string) => ({ $ref: `${id}#` })

function callerOf(request: FastifyRequest): ClassifiedCaller {
  return { keyName: request.caller.keyName, agencies: request.caller.agencies, scopes: request.caller.scopes, client: request.ip }
}

export async function classifiedRoutes(app: FastifyInstance, deps: ClassifiedDeps): Promise<void> {
  const idParams = schemas().schema(schemaIds.apiIdParams)
  const tags = ['classified']

  app.post<{ Body: { agency: string } }>('/api/v1/classified/control-numbers', {
    schema: { summary: 'Reserve the control number an inner envelope will carry (PROTOCOL.md §19.2)', tags, body: ref(schemaIds.apiClassifiedControlNumber) },
  }, async (request, reply) => reply.code(201).send({ controlNumber: await reserveControlNumber(deps, callerOf(request), request.body.agency) }))

  app.post<{ Body: SubmitBody }>('/api/v1/classified', {
    schema: {
      summary: 'Submit an inner envelope sealed by officers, with their release statements; the node seals the outer envelopes and delivers them',
      tags, body: ref(schemaIds.apiClassifiedSubmit),
    },
  }, async (request, reply) => reply.code(202).send(await submitClassified(deps, callerOf(request), request.body)))

  app.post<{ Body: ByHandBody }>('/api/v1/classified/by-hand', {
    schema: { summary: 'Record a TOP_SECRET item dispatched by hand: metadata only, in both classified registers (PROTOCOL.md §19.8)', tags, body: ref(schemaIds.apiClassifiedByHand) },
  }, async (request, reply) => reply.code(202).send(await dispatchByHand(deps, callerOf(request), request.body)))

  app.get<{ Querystring: { direction?: 'in' | 'out'; agency?: string; limit: number; cursor?: string } }>('/api/v1/classified', {
    schema: { summary: 'The classified register: items sent and received, visible fields only', tags, querystring: ref(schemaIds.apiClassifiedListQuery) },
  }, async (request) => listItems(deps, callerOf(request), request.query))

  app.get<{ Querystring: { agency?: string; from: string; to: string; format: 'csv' | 'pdf' | 'json' } }>('/api/v1/classified/inspection-report', {
    schema: { summary: "The registrar's inspection report from the access record, CSV or PDF (PROTOCOL.md §19.7)", tags, querystring: ref(schemaIds.apiClassifiedReportQuery) },
  }, async (request, reply) => {
    const r = await inspectionReport(deps, callerOf(request), request.query)
    return reply.type(r.mediaType).send(r.body)
  })

  app.get<{ Params: { id: string } }>('/api/v1/classified/:id', {
    schema: { summary: 'One classified item: cover, register entry, delivery, officers\' statements', tags, params: idParams },
  }, async (request) => getItem(deps, callerOf(request), request.params.id))

  app.get<{ Params: { id: string } }>('/api/v1/classified/:id/inner', {
    schema: { summary: 'The inner envelope (application/cms), for the officer to open on their own machine; each download is recorded', tags, params: idParams },
  }, async (request, reply) => {
    const bytes = await downloadInner(deps, callerOf(request), request.params.id)
    return reply.type('application/cms').header('content-disposition', `attachment; filename="${request.params.id}.p7m"`).send(bytes)
  })

  app.get<{ Params: { id: string } }>('/api/v1/classified/:id/access', {
    schema: { summary: 'The access record of the item (PROTOCOL.md §19.7)', tags, params: idParams },
  }, async (request) => ({ entries: await accessOf(deps, callerOf(request), request.params.id) }))

  app.get<{ Params: { id: string } }>('/api/v1/classified/:id/evidence', {
    schema: { summary: 'Evidence of the item: receipts, the signed cover, officers\' statements, the access record; no key that opens the inner envelope (PROTOCOL.md §19.10)', tags, params: idParams },
  }, async (request) => exportEvidence(deps, callerOf(request), request.params.id))

  app.post<{ Params: { id: string }; Body: { statement: string } }>('/api/v1/classified/:id/acknowledgements', {
    schema: { summary: "The officer's signed opening acknowledgement (or received-by-hand); the notice goes to the sender", tags, params: idParams, body: ref(schemaIds.apiClassifiedStatement) },
  }, async (request, reply) => reply.code(202).send(await acknowledge(deps, callerOf(request), request.params.id, request.body.statement)))

  app.post<{ Params: { id: string }; Body: { inner: string; statement: string; toOfficer: string } }>('/api/v1/classified/:id/forward', {
    schema: { summary: 'Forward to another officer of the same agency: a new inner envelope and the forwarded statement', tags, params: idParams, body: ref(schemaIds.apiClassifiedForward) },
  }, async (request, reply) => reply.code(201).send(await forward(deps, callerOf(request), request.params.id, request.body)))

  app.post<{ Params: { id: string }; Body: { statement: string; secondStatement?: string } }>('/api/v1/classified/:id/destroy', {
    schema: { summary: 'Destroy the inner envelope under a signed destruction record; the register entry and the access record stay', tags, params: idParams, body: ref(schemaIds.apiClassifiedStatement) },
  }, async (request) => destroy(deps, callerOf(request), request.params.id, request.body))
}
