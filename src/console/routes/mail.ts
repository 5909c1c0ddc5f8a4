// Outbox and inbox with search (issue 17 item 2: subject, ที่, agency, date, state) and paging.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { html, query, type Html } from '../html.js'
import { badge } from '../views/layout.js'
import { agenciesOf, sendPage } from '../plugin.js'
import { shownStatus } from '../../domain/delivery.js'
import { OUTBOX_STATES, INBOX_STATES, type MailSearch } from '../../services/console/mail-search.js'
import type { ConsoleDeps } from '../deps.js'
import type { I18n } from '../i18n/index.js'

export const PAGE_SIZE = 25

interface SearchQuery { subject?: string; number?: string; peer?: string; from?: string; to?: string; state?: string; page?: string }

const DATE = /^\d{4}-\d{2}-\d{2}$/
/** Midnight in Bangkok (UTC+7) of a YYYY-MM-DD (CE) date from a date input. */
const bangkokMidnight = (d: string | undefined, plusDays = 0) => (d && DATE.test(d) ? Date.parse(`${d}T00:00:00+07:00`) + plusDays * 86_400_000 : undefined)
const text = (s: unknown) => (typeof s === 'string' ? s.trim().slice(0, 200) : '')

function parseSearch(request: FastifyRequest<{ Querystring: SearchQuery }>): { search: MailSearch; page: number; q: SearchQuery } {
  const q = request.query
  const page = Math.max(1, Math.min(10_000, Number.parseInt(q.page ?? '1', 10) || 1))
  return {
    page, q,
    search: {
      agencies: agenciesOf(request), subject: text(q.subject) || undefined, number: text(q.number) || undefined, peer: text(q.peer) || undefined,
      from: bangkokMidnight(q.from), to: bangkokMidnight(q.to, 1), state: text(q.state) || undefined,
      limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE,
    },
  }
}

function searchForm(i: I18n, action: string, q: SearchQuery, states: readonly string[]): Html {
  const field = (id: keyof SearchQuery, label: string, type = 'search') => html`<p><label for="f-${id}">${label}</label><input id="f-${id}" name="${id}" type="${type}" value="${q[id] ?? ''}"></p>`
  return html`<form class="search" method="get" action="${action}" role="search"><fieldset><legend>${i.t('searchLegend')}</legend>
${field('subject', i.t('subject'))}${field('number', i.t('letterNumber'))}${field('peer', i.t('otherAgency'))}
${field('from', i.t('dateFrom'), 'date')}${field('to', i.t('dateTo'), 'date')}
<p><label for="f-state">${i.t('state')}</label><select id="f-state" name="state"><option value="">${i.t('anyState')}</option>
${states.map((s) => html`<option value="${s}"${q.state === s ? html` selected` : ''}>${i.tk(`state_${s}`)}</option>`)}</select></p>
<p><button type="submit">${i.t('search')}</button></p></fieldset></form>`
}

function pager(i: I18n, action: string, q: SearchQuery, page: number, more: boolean): Html {
  const at = (p: number) => action + query({ subject: q.subject, number: q.number, peer: q.peer, from: q.from, to: q.to, state: q.state, page: p })
  return html`<nav class="pager" aria-label="${i.t('page', { n: i.num(page) })}">${page > 1 ? html`<a href="${at(page - 1)}" rel="prev">${i.t('previous')}</a>` : ''}
<span>${i.t('page', { n: i.num(page) })}</span>${more ? html`<a href="${at(page + 1)}" rel="next">${i.t('next')}</a>` : ''}</nav>`
}

const letterFields = (json: string): { subject?: string; number?: string } => {
  try { return JSON.parse(json) as { subject?: string; number?: string } } catch { return {} }
}

export async function mailRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get<{ Querystring: SearchQuery }>('/console/outbox', async (request, reply) => {
    const { i } = request.console
    const { search, page, q } = parseSearch(request)
    const rows = deps.search.sent(search)
    const more = rows.length > PAGE_SIZE
    const items = rows.slice(0, PAGE_SIZE).map((r) => {
      const letter = deps.mailbox.sentLetter(r.id)
      return { r, f: letterFields(r.letterJson), messages: letter ? deps.mailbox.sentStatus(letter).messages : [] }
    })
    return sendPage(reply, request, i.t('outboxTitle'), html`${searchForm(i, '/console/outbox', q, OUTBOX_STATES)}
${items.length === 0 ? html`<p>${i.t('noResults')}</p>` : html`<table><caption>${i.t('outboxTitle')}</caption>
<thead><tr><th scope="col">${i.t('date')}</th><th scope="col">${i.t('letterNumber')}</th><th scope="col">${i.t('subject')}</th><th scope="col">${i.t('from')}</th><th scope="col">${i.t('recipients')}</th></tr></thead>
<tbody>${items.map(({ r, f, messages }) => html`<tr><td>${i.dateTime(r.createdAt)}</td><td>${f.number ?? '–'}</td>
<td><a href="/console/letters/${encodeURIComponent(r.id)}">${f.subject ?? r.id}</a></td><td>${r.senderAgency}</td>
<td>${messages.map((m) => html`${m.recipientAgency} ${badge(i, 'state_', shownStatus(m.status, m.lastErrorCode))} `)}</td></tr>`)}</tbody></table>`}
${pager(i, '/console/outbox', q, page, more)}`)
  })

  app.get<{ Querystring: SearchQuery }>('/console/inbox', async (request, reply) => {
    const { i } = request.console
    const { search, page, q } = parseSearch(request)
    const rows = deps.search.received(search)
    const more = rows.length > PAGE_SIZE
    const items = rows.slice(0, PAGE_SIZE).map((r) => {
      const n = deps.mailbox.receivedNotices(r.messageId)
      const state = n.withdrawal ? 'withdrawn' : n.answer?.type === 'accepted' ? 'accepted' : n.answer?.type === 'rejected' ? 'rejected' : 'open'
      return { r, f: letterFields(r.letterJson), state }
    })
    return sendPage(reply, request, i.t('inboxTitle'), html`${searchForm(i, '/console/inbox', q, INBOX_STATES)}
${items.length === 0 ? html`<p>${i.t('noResults')}</p>` : html`<table><caption>${i.t('inboxTitle')}</caption>
<thead><tr><th scope="col">${i.t('date')}</th><th scope="col">${i.t('letterNumber')}</th><th scope="col">${i.t('subject')}</th><th scope="col">${i.t('from')}</th><th scope="col">${i.t('to')}</th><th scope="col">${i.t('state')}</th></tr></thead>
<tbody>${items.map(({ r, f, state }) => html`<tr><td>${i.dateTime(r.receivedAt)}</td><td>${f.number ?? '–'}</td>
<td><a href="/console/inbox/${encodeURIComponent(r.messageId)}">${f.subject ?? r.messageId}</a></td><td>${r.senderAgency}</td><td>${r.recipientAgency}</td><td>${badge(i, 'state_', state)}</td></tr>`)}</tbody></table>`}
${pager(i, '/console/inbox', q, page, more)}`)
  })
}
