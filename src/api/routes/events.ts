// GET /api/v1/events (server-sent events, or JSON pages), GET /api/v1/webhooks/deliveries (issue 5 §6;
// README "Notifications"). Callers see only the events of the agencies their API key acts for.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SarabanError } from '../../errors.js'
import { EVENT_TYPES } from '../../domain/events.js'
import { schemaIds, schemas } from '../../schema/index.js'
import { decodeSeqCursor, encodeSeqCursor, listAgencies } from '../paging.js'
import { isoTime } from '../../clock.js'
import { eventView, keyAccess, type Events } from '../../services/events/index.js'
import type { WebhookDelivery, WebhookState } from '../../services/events/index.js'

const ref = (id: string) => ({ $ref: `${id}#` })
const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES)

interface EventsQuery { agency?: string; types?: string; cursor?: string; limit?: number }

function parseTypes(types: string | undefined): string[] | undefined {
  if (types === undefined) return undefined
  const list = [...new Set(types.split(','))]
  const unknown = list.filter((t) => !KNOWN_TYPES.has(t))
  if (unknown.length > 0) throw new SarabanError('ERR_REQUEST_INVALID', `Unknown event type(s): ${unknown.join(', ')}. Known: ${EVENT_TYPES.join(', ')}.`, { field: '/query/types' })
  return list
}

/** WHATWG HTML §9.2.4: a reconnecting EventSource sends the last id it saw; ours are decimal integers. */
function lastEventId(request: FastifyRequest): number | undefined {
  const h = request.headers['last-event-id']
  const v = Array.isArray(h) ? h[0] : h
  if (v === undefined || v.trim() === '') return undefined
  if (!/^(?:0|[1-9][0-9]{0,15})$/.test(v.trim())) throw new SarabanError('ERR_REQUEST_INVALID', 'Last-Event-ID must be the id of an event this node sent (a decimal integer).', { field: '/headers/last-event-id' })
  return Number(v.trim())
}

/** JSON only when asked for explicitly: EventSource sends Accept: text/event-stream, curl sends *\/*. */
function wantsJson(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? '').toLowerCase()
  return accept.includes('application/json') && !accept.includes('text/event-stream')
}

function deliveryView(d: WebhookDelivery) {
  return {
    eventId: d.eventId, type: d.type, agency: d.agency, endpoint: d.endpoint, state: d.state, attempts: d.attempts,
    createdAt: isoTime(d.createdAt),
    ...(d.lastAttemptAt !== null ? { lastAttemptAt: isoTime(d.lastAttemptAt) } : {}),
    ...(d.lastStatus !== null ? { lastStatus: d.lastStatus } : {}),
    ...(d.lastError !== null ? { lastError: d.lastError } : {}),
    ...(d.state === 'pending' ? { nextAttemptAt: isoTime(d.nextAttemptAt) } : {}),
    ...(d.deliveredAt !== null ? { deliveredAt: isoTime(d.deliveredAt) } : {}),
    ...(d.abandonedAt !== null ? { abandonedAt: isoTime(d.abandonedAt) } : {}),
  }
}

/** `hosted`: whether the node hosts an agency now (why a stream ends after a reload: stream-access.ts). */
export async function eventRoutes(app: FastifyInstance, events: Events, hosted: (agency: string) => boolean): Promise<void> {
  // Streams are long-lived: end them before the server waits for its connections to close.
  app.addHook('preClose', async () => events.streams.closeAll())

  app.get<{ Querystring: EventsQuery }>('/api/v1/events', {
    schema: {
      summary: 'Events of the agencies of this API key: a server-sent event stream, resumable with Last-Event-ID',
      description: 'text/event-stream (default): replays the events after Last-Event-ID (or ?cursor=), then stays open and sends new ones as they are committed; `id:` is the event id, `event:` its type, `data:` the event JSON (schema urn:saraban:api:event:v1); a comment line every notifications.heartbeatSeconds. After a reload of hosted-agency files the stream follows its API key: a key that is gone or no longer covers ?agency= gets a last `event: stream.closed` (no id; data {reason, code, message}) and the stream ends; agencies the key newly covers stream from the reload on. With Accept: application/json: one page of events after ?cursor= (default: from the oldest kept), and nextCursor, always present, to poll for the next ones.',
      tags: ['events'],
      querystring: schemas().schema(schemaIds.apiEventsQuery),
      response: { 200: { content: { 'text/event-stream': { schema: { type: 'string' } }, 'application/json': { schema: ref(schemaIds.apiEventList) } } } },
    },
  }, async (request, reply) => {
    const agencies = listAgencies(request, request.query.agency)
    const types = parseTypes(request.query.types)
    const resume = lastEventId(request) ?? decodeSeqCursor('events', request.query.cursor)
    if (wantsJson(request)) {
      const asked = resume ?? 0
      const { items, after, gap } = events.page(asked, { agencies, types, limit: request.query.limit ?? 100 })
      return reply.type('application/json').send({
        items: items.map(eventView),
        // A feed: the cursor is always given, so that a poller asks again from where it stopped.
        nextCursor: encodeSeqCursor('events', items.length > 0 ? items[items.length - 1]!.id : after),
        ...(gap ? { truncated: { after: asked, ...gap } } : {}),
      })
    }
    const room = events.streams.roomFor(agencies)
    if (room === 'node') throw new SarabanError('ERR_TOO_MANY_STREAMS', 'Too many event streams are open; retry later, or poll with Accept: application/json.')
    if (room !== true) {
      throw new SarabanError('ERR_TOO_MANY_AGENCY_STREAMS', `Agency ${room.agency} has as many event streams open as this node allows one agency (notifications.maxStreamsPerAgency); close one, narrow this one with ?agency=, or poll with Accept: application/json.`, { field: '/query/agency' })
    }
    // Without a resume point: only events committed from now on.
    const afterId = resume ?? events.lastIssuedId()
    reply.hijack()
    try {
      // Hosted-agency files may revoke the key or change its agencies while the stream is open.
      const access = keyAccess(request.caller.agenciesNow, request.query.agency, request.caller.agencies, hosted)
      events.streams.open(reply.raw, { agencies, types, afterId, access })
    } catch (err) {
      // Fastify no longer answers for a hijacked reply: end the connection (the client retries).
      request.log.error({ err, event: 'events.stream-open-failed' }, 'could not open an event stream')
      reply.raw.destroy()
    }
  })

  app.get<{ Querystring: { agency?: string; state?: WebhookState; limit?: number; cursor?: string } }>('/api/v1/webhooks/deliveries', {
    schema: {
      summary: 'Webhook endpoints of the agencies of this API key, and each delivery: attempts, last answer, next attempt',
      tags: ['events'],
      querystring: schemas().schema(schemaIds.apiWebhookDeliveriesQuery),
      response: { 200: ref(schemaIds.apiWebhookDeliveries) },
    },
  }, async (request) => {
    const agencies = listAgencies(request, request.query.agency)
    const limit = request.query.limit ?? 50
    const items = events.deliveries({ agencies, state: request.query.state, beforeId: decodeSeqCursor('webhook-deliveries', request.query.cursor), limit })
    const mine = new Set(agencies)
    const endpoints = events.webhooks.status(mine).filter((e) => e.agencies === undefined || e.agencies.some((a) => mine.has(a)))
    const last = items.length === limit ? items[items.length - 1] : undefined
    return { endpoints, items: items.map(deliveryView), ...(last ? { nextCursor: encodeSeqCursor('webhook-deliveries', last.eventId) } : {}) }
  })
}
