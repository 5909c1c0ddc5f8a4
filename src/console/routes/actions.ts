// The console's record of actions (issue 17 item 2): who did what, newest first, for keys that share
// an agency with the caller.
import type { FastifyInstance } from 'fastify'
import { html, query } from '../html.js'
import { agenciesOf, sendPage } from '../plugin.js'
import type { ConsoleDeps } from '../deps.js'

const PAGE = 50

export async function actionRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get<{ Querystring: { page?: string } }>('/console/actions', async (request, reply) => {
    const { i } = request.console
    const page = Math.max(1, Math.min(10_000, Number.parseInt(request.query.page ?? '1', 10) || 1))
    const rows = deps.audit.list(agenciesOf(request), PAGE + 1, (page - 1) * PAGE)
    const more = rows.length > PAGE
    return sendPage(reply, request, i.t('actionsTitle'), html`
${rows.length === 0 ? html`<p>${i.t('noActions')}</p>` : html`<table><caption>${i.t('actionsTitle')}</caption><thead><tr><th scope="col">${i.t('when')}</th><th scope="col">${i.t('who')}</th><th scope="col">${i.t('agency')}</th><th scope="col">${i.t('action')}</th><th scope="col">${i.t('target')}</th><th scope="col">${i.t('outcome')}</th></tr></thead>
<tbody>${rows.slice(0, PAGE).map((a) => html`<tr><td>${i.dateTime(a.at)}</td><td>${a.keyName}</td><td>${a.agencies.join(', ')}</td><td>${i.tk(`act_${a.action}`)}</td><td>${a.target ?? ''}${a.detail ? html` <span class="who">${a.detail}</span>` : ''}</td><td><span class="badge s-${a.outcome}">${i.tk(`outcome_${a.outcome}`)}</span></td></tr>`)}</tbody></table>`}
<nav class="pager" aria-label="${i.t('page', { n: i.num(page) })}">${page > 1 ? html`<a href="/console/actions${query({ page: page - 1 })}">${i.t('previous')}</a>` : ''}${more ? html`<a href="/console/actions${query({ page: page + 1 })}">${i.t('next')}</a>` : ''}</nav>`)
  })
}
