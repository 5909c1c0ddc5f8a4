// A sent letter's page (issue 17 item 2): its timeline (sealed → sent → delivered with receipt →
// accepted with receive number / rejected / withdrawn, and the failures, requeues and cancellations
// recorded as events), each recipient's delivery with every attempt and its error, the buttons
// "retry now" (PROTOCOL.md §7.2 requeue) and "cancel queued recipient", and the evidence bundle
// (PROTOCOL.md §8) to download and to check with the node's own verification. A received letter's
// page shows its facts, answer and events.
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SarabanError } from '../../errors.js'
import { html, type Html } from '../html.js'
import { badge, csrfField } from '../views/layout.js'
import { agenciesOf, pageContext, sendPage } from '../plugin.js'
import { shownStatus } from '../../domain/delivery.js'
import { thaiDate } from '../../domain/thai.js'
import type { Notice } from '../../domain/notices.js'
import { requeueLetter } from '../../services/delivery/requeue.js'
import { cancelQueuedRecipient } from '../../services/delivery/cancel.js'
import { EVIDENCE_MEDIA_TYPE, verifyEvidence } from '../../services/evidence/index.js'
import { planEvidenceArchive } from '../../services/evidence/stream.js'
import type { NoticeRow, OutboxLetter } from '../../services/mailbox/index.js'
import type { LetterEventRow } from '../../services/console/mail-search.js'
import type { DeliveryAttemptRow } from '../../services/console/delivery-attempts.js'
import type { ConsoleDeps } from '../deps.js'
import type { I18n } from '../i18n/index.js'

interface Step { at?: number | undefined; text: string; who?: string | undefined; state: string; /** where a step without a time goes */ order?: number }

const parse = <T>(json: string): Partial<T> => { try { return JSON.parse(json) as T } catch { return {} } }
const noticeOf = (r: NoticeRow) => parse<Notice>(r.noticeJson)

function ownLetter(deps: ConsoleDeps, request: FastifyRequest, id: string): OutboxLetter {
  const letter = deps.mailbox.sentLetter(id)
  if (!letter || !agenciesOf(request).includes(letter.senderAgency)) throw new SarabanError('ERR_NOT_FOUND', `No letter ${id}.`, { field: 'id' })
  return letter
}

function eventStep(i: I18n, e: LetterEventRow): Step | undefined {
  const d = parse<Record<string, unknown>>(e.dataJson)
  const who = typeof d.recipient === 'string' ? d.recipient : undefined
  switch (e.type) {
    case 'letter.failed': return { at: e.at, who, state: 'failed', text: i.t('ev_failed', { code: String(d.code ?? '') }) }
    case 'letter.requeued': return { at: e.at, who, state: 'queued', text: i.t('ev_requeued') }
    case 'letter.cancelled': return { at: e.at, who, state: 'cancelled', text: i.t('ev_cancelled') }
    case 'letter.deadline-at-risk': case 'letter.deadline-missed': return { at: e.at, who, state: 'degraded', text: i.t('ev_deadline') }
    case 'letter.received': return { at: e.at, state: 'delivered', text: i.t('ev_received') }
    default: return undefined // delivered, accepted, rejected, withdrawn: from the rows themselves
  }
}

/** Every attempt to one recipient with its outcome and error (issue 17 item 2), oldest first. */
function attemptList(i: I18n, who: string, list: readonly DeliveryAttemptRow[]): Html {
  if (list.length === 0) return html`<p class="who">${i.t('noAttempts')}</p>`
  return html`<ol class="attempts" aria-label="${i.t('attemptsOf', { who })}">${list.map((a) => html`<li class="attempt" data-outcome="${a.outcome}">${i.t('attemptN', { n: i.num(a.attempt) })} · <time datetime="${new Date(a.startedAt).toISOString()}">${i.dateTime(a.startedAt)}</time> · ${badge(i, 'att_', a.outcome)}${a.httpStatus !== null ? html` HTTP ${i.num(a.httpStatus)}` : ''}${a.errorCode ? html` <code>${a.errorCode}</code>` : ''}${a.detail ? html` ${a.detail}` : ''}</li>`)}</ol>`
}

function timeline(i: I18n, steps: Step[]): Html {
  const key = (s: Step) => s.at ?? s.order ?? Number.MAX_SAFE_INTEGER
  const sorted = [...steps].sort((a, b) => key(a) - key(b))
  return html`<ol class="timeline">${sorted.map((s) => html`<li><span class="s-${s.state}">${s.text}</span>${s.who ? html` — ${s.who}` : ''} <span class="who">${i.dateTime(s.at)}</span></li>`)}</ol>`
}

export async function letterRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: { done?: string; who?: string } }>('/console/letters/:id', async (request, reply) => {
    const { i } = request.console
    const letter = ownLetter(deps, request, request.params.id)
    const s = deps.mailbox.sentStatus(letter)
    const attempts = deps.attempts.ofLetter(letter.id)
    const f = parse<{ subject: string; number: string; date: string }>(letter.letterJson)
    const steps: Step[] = [{ at: letter.createdAt, state: 'ok', text: i.t('ev_sealed') }]
    for (const m of s.messages) {
      // When the first attempt kept (delivery_attempts, migration 034) started; none kept (older rows): after sealing.
      const first = attempts.get(m.messageId)?.[0]
      if (m.attempts > 0 || m.status !== 'queued') steps.push({ at: first?.startedAt, state: 'sending', who: m.recipientAgency, text: i.t('ev_sent'), order: letter.createdAt })
      if (m.deliveredAt) steps.push({ at: m.deliveredAt, state: 'delivered', who: m.recipientAgency, text: i.t('ev_delivered') })
      const n = s.notices.get(m.messageId)
      const answer = n?.answer?.direction === 'in' ? n.answer : undefined
      if (answer) {
        const a = noticeOf(answer)
        if (a.type === 'accepted') steps.push({ at: answer.createdAt, state: 'accepted', who: m.recipientAgency, text: i.t('ev_accepted', { number: a.register ? `${i.num(a.register.number)}/${i.num(a.register.year + 543)}` : '' }) })
        if (a.type === 'rejected') steps.push({ at: answer.createdAt, state: 'rejected', who: m.recipientAgency, text: i.t('ev_rejected', { reason: a.reason ?? String(a.reasonCode ?? '') }) })
      }
      if (n?.withdrawal?.direction === 'out') steps.push({ at: n.withdrawal.createdAt, state: 'withdrawn', who: m.recipientAgency, text: i.t('ev_withdrawn') })
    }
    for (const e of deps.search.eventsOfLetter(agenciesOf(request), letter.id)) {
      const step = eventStep(i, e)
      if (step) steps.push(step)
    }
    const ctx = pageContext(request)
    const flash = request.query.done === 'retry' ? i.t('retried', { who: request.query.who ?? '' }) : request.query.done === 'cancel' ? i.t('cancelled', { who: request.query.who ?? '' }) : undefined
    const body = html`
${flash ? html`<p class="flash" role="status">${flash}</p>` : ''}
<dl><dt>${i.t('subject')}</dt><dd>${f.subject ?? ''}</dd><dt>${i.t('letterNumber')}</dt><dd>${f.number ?? '–'}</dd>
<dt>${i.t('date')}</dt><dd>${f.date ? (i.lang === 'th' ? thaiDate(f.date) : f.date) : '–'}</dd><dt>${i.t('from')}</dt><dd>${letter.senderAgency}</dd></dl>
<section aria-labelledby="h-timeline"><h2 id="h-timeline">${i.t('timeline')}</h2>${timeline(i, steps)}</section>
<section aria-labelledby="h-attempts"><h2 id="h-attempts">${i.t('attempts')}</h2>
<table><thead><tr><th scope="col">${i.t('to')}</th><th scope="col">${i.t('state')}</th><th scope="col">${i.t('attemptCount')}</th><th scope="col">${i.t('lastError')}</th><th scope="col">${i.t('actionsColumn')}</th></tr></thead>
<tbody>${s.messages.map((m) => {
      const shown = shownStatus(m.status, m.lastErrorCode)
      return html`<tr><td>${m.recipientAgency}</td><td>${badge(i, 'state_', shown)}${m.receipt ? html` ${i.t('receiptYes')}` : ''}</td><td>${i.num(m.attempts)}</td>
<td>${m.lastErrorCode ? html`<code>${m.lastErrorCode}</code> ${m.lastErrorDetail ?? ''}` : '–'}</td>
<td>${shown === 'failed' ? html`<form class="inline" method="post" action="/console/letters/${encodeURIComponent(letter.id)}/retry">${csrfField(ctx)}<input type="hidden" name="recipient" value="${m.recipientAgency}"><button type="submit">${i.t('retryNow')} ${m.recipientAgency}</button></form>` : ''}
${shown === 'queued' ? html`<form class="inline" method="post" action="/console/letters/${encodeURIComponent(letter.id)}/cancel">${csrfField(ctx)}<input type="hidden" name="recipient" value="${m.recipientAgency}"><button type="submit" class="danger">${i.t('cancelQueued')} ${m.recipientAgency}</button></form>` : ''}</td></tr>
<tr class="attempts-row"><td colspan="5">${attemptList(i, m.recipientAgency, attempts.get(m.messageId) ?? [])}</td></tr>`
    })}</tbody></table><p class="who">${i.t('attemptsNote')}</p></section>
<section aria-labelledby="h-evidence"><h2 id="h-evidence">${i.t('evidence')}</h2>
<p><a href="/console/letters/${encodeURIComponent(letter.id)}/evidence" download>${i.t('downloadEvidence')}</a></p>
<form method="post" action="/console/letters/${encodeURIComponent(letter.id)}/evidence/check">${csrfField(ctx)}<button type="submit">${i.t('checkEvidence')}</button></form></section>`
    return sendPage(reply, request, i.t('letterTitle', { id: letter.id }), body)
  })

  app.post<{ Params: { id: string }; Body: { recipient?: string } }>('/console/letters/:id/retry', async (request, reply) => {
    const letter = ownLetter(deps, request, request.params.id)
    const key = request.console.key!
    const recipient = typeof request.body.recipient === 'string' && request.body.recipient ? request.body.recipient : undefined
    try {
      const done = await requeueLetter(deps.requeue, letter.id, recipient ? { recipients: [recipient] } : {})
      await deps.audit.record({ keyName: key.name, agencies: key.agencies }, 'retry', 'ok', letter.id, done.join(', '))
      return reply.redirect(`/console/letters/${encodeURIComponent(letter.id)}?done=retry&who=${encodeURIComponent(done.join(', '))}`, 303)
    } catch (err) {
      await deps.audit.record({ keyName: key.name, agencies: key.agencies }, 'retry', 'refused', letter.id, (err as SarabanError).code ?? 'error')
      throw err
    }
  })

  app.post<{ Params: { id: string }; Body: { recipient?: string } }>('/console/letters/:id/cancel', async (request, reply) => {
    const letter = ownLetter(deps, request, request.params.id)
    const key = request.console.key!
    const recipient = typeof request.body.recipient === 'string' ? request.body.recipient : ''
    try {
      await cancelQueuedRecipient(deps.cancel, letter.id, recipient, request.console.i.t('cancelReason'), key.name)
      await deps.audit.record({ keyName: key.name, agencies: key.agencies }, 'cancel', 'ok', letter.id, recipient)
      return reply.redirect(`/console/letters/${encodeURIComponent(letter.id)}?done=cancel&who=${encodeURIComponent(recipient)}`, 303)
    } catch (err) {
      await deps.audit.record({ keyName: key.name, agencies: key.agencies }, 'cancel', 'refused', letter.id, (err as SarabanError).code ?? 'error')
      throw err
    }
  })

  app.get<{ Params: { id: string } }>('/console/letters/:id/evidence', async (request, reply) => {
    const letter = ownLetter(deps, request, request.params.id)
    const key = request.console.key!
    const plan = await planEvidenceArchive(deps.evidence, letter, deps.mailbox.evidenceSource(letter.id))
    await deps.audit.record({ keyName: key.name, agencies: key.agencies }, 'evidence', 'ok', letter.id)
    reply.header('content-disposition', `attachment; filename="evidence-${letter.id}.tar"`)
    reply.header('content-length', plan.size)
    return reply.type(EVIDENCE_MEDIA_TYPE).send(Readable.from(plan.chunks(), { objectMode: false }))
  })

  app.post<{ Params: { id: string } }>('/console/letters/:id/evidence/check', async (request, reply) => {
    const { i } = request.console
    const letter = ownLetter(deps, request, request.params.id)
    const key = request.console.key!
    const plan = await planEvidenceArchive(deps.evidence, letter, deps.mailbox.evidenceSource(letter.id))
    const chunks: Buffer[] = []
    for await (const c of plan.chunks()) chunks.push(Buffer.from(c))
    const report = await verifyEvidence(Buffer.concat(chunks), deps.verifyEvidence)
    await deps.audit.record({ keyName: key.name, agencies: key.agencies }, 'evidence-check', report.ok ? 'ok' : 'refused', letter.id, report.ok ? undefined : report.findings.filter((x) => !x.ok).map((x) => x.part).join(', '))
    return sendPage(reply, request, i.t('letterTitle', { id: letter.id }), html`
<p class="${report.ok ? 'flash' : 'error'}" role="status" id="evidence-verdict">${report.ok ? i.t('evidenceValid') : i.t('evidenceInvalid')}</p>
<table><caption>${i.t('evidence')}</caption><thead><tr><th scope="col">${i.t('result')}</th><th scope="col">${i.t('part')}</th><th scope="col">${i.t('lastError')}</th></tr></thead>
<tbody>${report.findings.map((x) => html`<tr><td>${x.ok ? '✓' : '✗'}</td><td>${x.part}</td><td>${x.detail}</td></tr>`)}${report.weak.map((w) => html`<tr><td>~</td><td></td><td>${w}</td></tr>`)}</tbody></table>
<p><a href="/console/letters/${encodeURIComponent(letter.id)}">${i.t('letterTitle', { id: letter.id })}</a></p>`)
  })

  app.get<{ Params: { id: string } }>('/console/inbox/:id', async (request, reply) => {
    const { i } = request.console
    const m = deps.mailbox.received(request.params.id)
    if (!m || !agenciesOf(request).includes(m.recipientAgency)) throw new SarabanError('ERR_NOT_FOUND', `No received letter ${request.params.id}.`, { field: 'id' })
    const f = parse<{ subject: string; number: string; date: string }>(m.letterJson)
    const n = deps.mailbox.receivedNotices(m.messageId)
    const steps: Step[] = [{ at: m.receivedAt, state: 'delivered', text: i.t('ev_received') }]
    const answer = n.answer?.direction === 'out' ? n.answer : undefined
    if (answer) {
      const a = noticeOf(answer)
      if (a.type === 'accepted') steps.push({ at: answer.createdAt, state: 'accepted', text: i.t('ev_accepted', { number: a.register ? `${i.num(a.register.number)}/${i.num(a.register.year + 543)}` : '' }) })
      if (a.type === 'rejected') steps.push({ at: answer.createdAt, state: 'rejected', text: i.t('ev_rejected', { reason: a.reason ?? '' }) })
    }
    if (n.withdrawal?.direction === 'in') steps.push({ at: n.withdrawal.createdAt, state: 'withdrawn', text: i.t('ev_withdrawn') })
    return sendPage(reply, request, i.t('receivedTitle', { id: m.messageId }), html`
<dl><dt>${i.t('subject')}</dt><dd>${f.subject ?? ''}</dd><dt>${i.t('letterNumber')}</dt><dd>${f.number ?? '–'}</dd>
<dt>${i.t('date')}</dt><dd>${f.date ? (i.lang === 'th' ? thaiDate(f.date) : f.date) : '–'}</dd><dt>${i.t('from')}</dt><dd>${m.senderAgency}</dd><dt>${i.t('to')}</dt><dd>${m.recipientAgency}</dd></dl>
<section aria-labelledby="h-timeline"><h2 id="h-timeline">${i.t('timeline')}</h2>${timeline(i, steps)}</section>`)
  })
}
