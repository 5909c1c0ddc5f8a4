// What goes into an agency's e-CMS pull queue (issue 18 §3, §4; e-cms.md §7.4), decided for each event
// inside the transaction that raised it (EventLog.tap), so an item exists iff the change it reports was
// committed: a crash of the node at any point loses nothing and invents nothing. The table below is
// the mapping; each row reads the letter facts it needs from the rows the same transaction wrote.
import { randomUUID } from 'node:crypto'
import type { EventInput, EventType } from '../../domain/events.js'
import type { Letter } from '../../domain/letter.js'
import { isClassified } from '../../domain/secrecy.js'
import type { RejectReason } from '../../domain/notices.js'
import type { Correlation, EcmsItemKind } from '../../storage/ecms-queue.js'
import type { EcmsQueueDeps } from './deps.js'

/** Facts a notifier carries beyond the correlation key (never letter contents). */
export interface NotifierFacts {
  /** AcceptLetterNotifier: the recipient's receive number. */
  readonly acceptId?: string
  /** ISO 8601 instant: when the recipient received / answered. */
  readonly acceptDate: string
  /** The recipient's e-CMS department code ('' when the directory has none). */
  readonly acceptDepartment: string
  readonly reasonCode?: RejectReason
  readonly reason?: string
}

/** PROTOCOL.md §18.3 → e-CMS: a letter sent to the wrong place is "invalid", any other refusal "rejected". */
const INVALID_REASONS: ReadonlySet<RejectReason> = new Set(['misaddressed', 'wrong-agency'])

/** The e-CMS LetterID of a letter: its number (ที่); a letter without one is known by its message id. */
export function ecmsLetterId(letter: Pick<Letter, 'number'>, messageId: string): string {
  return letter.number ?? messageId
}

type Row = (d: EcmsQueueDeps, e: EventInput) => void

/** Event type → what the agency's e-CMS client is given. Events not listed queue nothing (e.g.
 *  letter.failed: OutboundStatusRequest reports it). */
const ROWS: Partial<Record<EventType, Row>> = {
  // Recipient side: the letter itself, as a GovernmentDocument.
  'letter.received': (d, e) => {
    const msg = d.inbox.get(e.messageId!)
    if (!msg) return
    const letter = JSON.parse(msg.letterJson) as Letter
    if (isClassified(letter.secrecy)) {
      // Issue 18 §6: e-CMS carries subject and class in the clear; the letter stays in the node for the
      // REST API (and its classified rules), and the e-CMS client is given nothing about it.
      d.log.warn({ event: 'ecms.classified-not-queued', messageId: e.messageId, agency: e.agency }, 'a classified letter is not handed to the e-CMS client')
      return
    }
    const c = d.store.correlate({
      direction: 'in', agency: e.agency, senderAgency: msg.senderAgency, recipientAgency: e.agency, ecmsLetterId: ecmsLetterId(letter, msg.messageId),
      correspondenceDate: letter.date, senderDept: d.departmentOf(msg.senderAgency) ?? '', receiverDept: d.departmentOf(e.agency) ?? '',
      messageId: msg.messageId, letterId: null, createdAt: d.clock.now(),
    })
    queue(d, e.agency, 'GovernmentDocument', c, {})
  },
  // Recipient side: the sender withdrew it. e-CMS has no notifier for that: a letter the client has not
  // pulled yet disappears from its queue (as a deleted e-CMS letter does); one it already has stays, and
  // a later AcceptLetterNotifier is refused with ERR_LETTER_WITHDRAWN.
  'letter.withdrawn': (d, e) => {
    const c = d.store.correlationOf('in', e.messageId!)
    if (c && d.store.withdrawUnpulled(c.id, 'GovernmentDocument', d.clock.now())) {
      d.log.info({ event: 'ecms.withdrawn-unpulled', messageId: e.messageId, agency: e.agency }, 'a withdrawn letter was taken off the e-CMS queue before the client pulled it')
    }
  },
  // Recipient side: the sender disputes the receive number of our acceptance (PROTOCOL.md §18.4): an
  // InvalidAcceptIDNotifier whose AcceptID is the number disputed.
  'letter.disputed': (d, e) => {
    const c = d.store.correlationOf('in', e.messageId!)
    if (!c) return // never handed to the client (classified, or it arrived before the client was configured)
    const reg = e.data?.['register'] as { number?: number } | undefined
    queue(d, e.agency, 'InvalidAcceptIDNotifier', c, { acceptDate: iso(d), acceptDepartment: dept(d, e.agency), ...(reg?.number !== undefined ? { acceptId: String(reg.number) } : {}) })
  },
  // Sender side: the recipient node's signed receipt is the "received" stage (ReceiveLetterNotifier).
  'letter.delivered': (d, e) => notifier(d, e, 'ReceiveLetterNotifier', (recipient) => ({ acceptDate: String(e.data?.['deliveredAt'] ?? iso(d)), acceptDepartment: dept(d, recipient) })),
  // Sender side: the signed `accepted` notice; its receive number is the AcceptID.
  'letter.accepted': (d, e) => notifier(d, e, 'AcceptLetterNotifier', (recipient) => {
    const reg = e.data?.['register'] as { number?: number } | undefined
    return { acceptDate: iso(d), acceptDepartment: dept(d, recipient), ...(reg?.number !== undefined ? { acceptId: String(reg.number) } : {}) }
  }),
  'letter.rejected': (d, e) => {
    const reasonCode = e.data?.['reasonCode'] as RejectReason | undefined
    const kind = reasonCode && INVALID_REASONS.has(reasonCode) ? 'InvalidLetterNotifier' : 'RejectLetterNotifier'
    const reason = e.data?.['reason']
    notifier(d, e, kind, (recipient) => ({ acceptDate: iso(d), acceptDepartment: dept(d, recipient), ...(reasonCode ? { reasonCode } : {}), ...(typeof reason === 'string' ? { reason } : {}) }))
  },
}

const iso = (d: EcmsQueueDeps) => new Date(d.clock.now()).toISOString()
const dept = (d: EcmsQueueDeps, agency: string) => d.departmentOf(agency) ?? ''

function queue(d: EcmsQueueDeps, agency: string, kind: EcmsItemKind, c: Correlation, facts: Partial<NotifierFacts>): void {
  const item = d.store.enqueue({ processId: randomUUID(), agency, kind, correlationId: c.id, factsJson: JSON.stringify(facts), createdAt: d.clock.now() })
  d.log.info({ event: 'ecms.queued', agency, kind, processId: item.processId, messageId: c.messageId }, 'queued for the e-CMS client')
}

/** The correlation row of a letter envelope this node sent, made on first need. */
export function sentCorrelation(d: EcmsQueueDeps, messageId: string): Correlation | undefined {
  const have = d.store.correlationOf('out', messageId)
  if (have) return have
  const ref = d.notices.outboxRef(messageId)
  if (!ref || !ref.letterId) return undefined
  const letter = JSON.parse(ref.letterJson) as Letter
  return d.store.correlate({
    direction: 'out', agency: ref.senderAgency, senderAgency: ref.senderAgency, recipientAgency: ref.recipientAgency, ecmsLetterId: ecmsLetterId(letter, messageId),
    correspondenceDate: letter.date, senderDept: dept(d, ref.senderAgency), receiverDept: dept(d, ref.recipientAgency), messageId, letterId: ref.letterId, createdAt: d.clock.now(),
  })
}

function notifier(d: EcmsQueueDeps, e: EventInput, kind: EcmsItemKind, facts: (recipient: string) => NotifierFacts): void {
  const ref = d.notices.outboxRef(e.messageId!)
  if (!ref) return
  if (isClassified((JSON.parse(ref.letterJson) as Letter).secrecy)) return // issue 18 §6, as on the receiving side
  const c = sentCorrelation(d, e.messageId!)!
  queue(d, e.agency, kind, c, facts(ref.recipientAgency))
}

/** EventLog.tap: runs inside the producer's transaction; a throw rolls the change back with it. */
export function enqueueTap(d: EcmsQueueDeps): (e: EventInput) => void {
  return (e) => {
    const row = ROWS[e.type]
    if (!row || e.messageId === undefined || !d.hasClient(e.agency)) return
    row(d, e)
  }
}
