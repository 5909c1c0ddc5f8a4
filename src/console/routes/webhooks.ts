// Webhooks and their deliveries (issue 17 item 2; README "Notifications"): the endpoints that take
// the caller's agencies' events, and the newest deliveries with attempts, last answer and next try.
import type { FastifyInstance } from 'fastify'
import { html } from '../html.js'
import { agenciesOf, sendPage } from '../plugin.js'
import type { ConsoleDeps } from '../deps.js'

const DELIVERY_STATE: Record<string, string> = { pending: 'queued', delivered: 'delivered', failed: 'failed', abandoned: 'cancelled' }

export async function webhookRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get('/console/webhooks', async (request, reply) => {
    const { i } = request.console
    const events = deps.events
    if (!events) return sendPage(reply, request, i.t('webhooksTitle'), html`<p>${i.t('webhooksOff')}</p>`)
    const agencies = agenciesOf(request)
    const mine = new Set(agencies)
    const endpoints = events.webhooks.status(mine).filter((e) => e.agencies === undefined || e.agencies.some((a) => mine.has(a)))
    const items = events.deliveries({ agencies, limit: 100 })
    return sendPage(reply, request, i.t('webhooksTitle'), html`
${endpoints.length === 0 ? html`<p>${i.t('noWebhooks')}</p>` : html`<table><caption>${i.t('endpoint')}</caption><thead><tr><th scope="col">${i.t('endpoint')}</th><th scope="col">URL</th><th scope="col">${i.t('lastSuccess')}</th><th scope="col">${i.t('lastError')}</th></tr></thead>
<tbody>${endpoints.map((e) => html`<tr><td>${e.name}</td><td>${e.url}</td><td>${i.dateTime(e.lastSuccessAt ? Date.parse(e.lastSuccessAt) : undefined)}</td><td>${e.lastFailure ? html`${i.dateTime(Date.parse(e.lastFailure.at))} ${e.lastFailure.status ?? ''} ${e.lastFailure.error}` : '–'}</td></tr>`)}</tbody></table>`}
<h2>${i.t('deliveries')}</h2>
${items.length === 0 ? html`<p>${i.t('noDeliveries')}</p>` : html`<table><thead><tr><th scope="col">${i.t('when')}</th><th scope="col">${i.t('event')}</th><th scope="col">${i.t('endpoint')}</th><th scope="col">${i.t('agency')}</th><th scope="col">${i.t('state')}</th><th scope="col">${i.t('attemptCount')}</th><th scope="col">${i.t('lastError')}</th></tr></thead>
<tbody>${items.map((d) => html`<tr><td>${i.dateTime(d.createdAt)}</td><td>${d.type}</td><td>${d.endpoint}</td><td>${d.agency}</td><td><span class="badge s-${DELIVERY_STATE[d.state] ?? d.state}">${i.tk(`state_${DELIVERY_STATE[d.state] ?? d.state}`)}</span></td><td>${i.num(d.attempts)}</td><td>${d.lastStatus ?? ''} ${d.lastError ?? ''}</td></tr>`)}</tbody></table>`}`)
  })
}
