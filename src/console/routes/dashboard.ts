// The dashboard (issue 17 item 2): health, directory and CRL freshness, certificates by expiry,
// queues per peer, failing deliveries. Node-wide facts (health, directory, CRLs, TLS) as /healthz
// shows them; letters, queues and certificates only of the caller's agencies.
import type { FastifyInstance } from 'fastify'
import { html } from '../html.js'
import { badge } from '../views/layout.js'
import { agenciesOf, sendPage } from '../plugin.js'
import { peerStatus } from '../../services/delivery/peer-status.js'
import type { ConsoleDeps } from '../deps.js'

interface Check { name: string; status: string; detail?: string }

export async function dashboardRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get('/console', async (request, reply) => {
    const { i } = request.console
    const agencies = agenciesOf(request)
    const h = deps.health()
    const checks = (Array.isArray(h.checks) ? h.checks : []) as Check[]
    const dir = deps.directoryStatus()
    const crls = deps.crlStatus()
    const certs = deps.certificates(agencies, deps.clock.now()).slice(0, 20)
    const peers = peerStatus(deps.peers, agencies)
    const failing = deps.search.failing(agencies, 50)
    const date = (iso: string | undefined) => i.dateTime(iso ? Date.parse(iso) : undefined)
    const body = html`
<section aria-labelledby="h-health"><h2 id="h-health">${i.t('health')}: ${badge(i, 'status_', h.status)}</h2>
<p>${i.t('version')} ${String(h.version ?? '')}</p>
${checks.length === 0 ? html`<p>${i.t('noChecks')}</p>` : html`<table><caption>${i.t('healthChecks')}</caption>
<thead><tr><th scope="col">${i.t('source')}</th><th scope="col">${i.t('state')}</th><th scope="col">${i.t('lastError')}</th></tr></thead>
<tbody>${checks.map((c) => html`<tr><td>${c.name}</td><td>${badge(i, 'status_', c.status)}</td><td>${c.detail ?? ''}</td></tr>`)}</tbody></table>`}
</section>
<section aria-labelledby="h-trust"><h2 id="h-trust">${i.t('directory')}</h2>
<table><caption>${i.t('directory')} / ${i.t('crls')}</caption>
<thead><tr><th scope="col">${i.t('source')}</th><th scope="col">${i.t('serial')}</th><th scope="col">${i.t('nextUpdate')}</th><th scope="col">${i.t('lastSuccess')}</th><th scope="col">${i.t('freshness')}</th></tr></thead>
<tbody>
<tr><th scope="row">${i.t('directory')}</th><td>${i.num(dir.serial)}</td><td>${date(dir.nextUpdate)}</td><td>${date(dir.source?.lastSuccessAt)}</td><td>${badge(i, 'fresh_', dir.source?.state ?? (Date.parse(dir.nextUpdate) < deps.clock.now() ? 'grace' : 'fresh'))}</td></tr>
${crls.map((s) => html`<tr><th scope="row">${s.location}</th><td>${i.num(s.serial)}</td><td>${date(s.nextUpdate)}</td><td>${date(s.lastSuccessAt)}</td><td>${badge(i, 'fresh_', s.state)}</td></tr>`)}
</tbody></table></section>
<section aria-labelledby="h-certs"><h2 id="h-certs">${i.t('certificates')}</h2>
<table><thead><tr><th scope="col">${i.t('role')}</th><th scope="col">${i.t('agency')}</th><th scope="col">${i.t('subjectDn')}</th><th scope="col">${i.t('expires')}</th><th scope="col">${i.t('daysLeft')}</th></tr></thead>
<tbody>${certs.map((c) => html`<tr><td>${i.tk(`role_${c.role}`)}</td><td>${c.agency ?? '–'}</td><td>${c.subject}</td><td>${i.dateTime(c.notAfter)}</td><td class="${c.daysLeft <= 7 ? 's-failing' : c.daysLeft <= 30 ? 's-degraded' : ''}">${i.num(c.daysLeft)}</td></tr>`)}</tbody></table></section>
<section aria-labelledby="h-queues"><h2 id="h-queues">${i.t('queues')}</h2>
${peers.length === 0 ? html`<p>${i.t('noQueues')}</p>` : html`<table><thead><tr><th scope="col">${i.t('peer')}</th><th scope="col">${i.t('peerState')}</th><th scope="col">${i.t('waiting')}</th><th scope="col">${i.t('lastError')}</th></tr></thead>
<tbody>${peers.map((p) => html`<tr><td>${p.origin}</td><td>${badge(i, 'peer_', p.state)}</td><td>${Object.entries(p.pending).map(([a, n]) => html`${a}: ${i.num(n)} `)}</td><td>${p.lastError ? html`<code>${p.lastError.code}</code> ${p.lastError.detail}` : ''}</td></tr>`)}</tbody></table>`}
</section>
<section aria-labelledby="h-failing"><h2 id="h-failing">${i.t('failing')}</h2>
${failing.length === 0 ? html`<p>${i.t('noFailing')}</p>` : html`<table><thead><tr><th scope="col">${i.t('when')}</th><th scope="col">${i.t('to')}</th><th scope="col">${i.t('state')}</th><th scope="col">${i.t('attemptCount')}</th><th scope="col">${i.t('lastError')}</th></tr></thead>
<tbody>${failing.map((f) => html`<tr><td><a href="/console/letters/${encodeURIComponent(f.letterId)}">${i.dateTime(f.updatedAt)}</a></td><td>${f.recipientAgency}</td><td>${badge(i, 'state_', f.status)}</td><td>${i.num(f.attempts)}</td><td><code>${f.lastErrorCode}</code> ${f.lastErrorDetail ?? ''}</td></tr>`)}</tbody></table>`}
</section>`
    return sendPage(reply, request, i.t('dashboardTitle'), body)
  })
}
