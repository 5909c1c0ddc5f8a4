// The e-CMS client's pull side (issue 18 §3; e-cms.md §3, §6): CorrespondenceLetterInboundRequest hands
// out the oldest item not deleted, and the same item again until the client deletes it (a client that
// crashes between pulling and deleting pulls it again: nothing is lost); CorrespondenceLetterDeleteRequest
// marks it deleted, idempotently; CorrespondenceLetterInboundSpecialRequest hands out a given item again,
// deleted or not (a client that crashed after its delete but before its own commit gets it back).
// Items are handed out as neutral objects; src/gateways/ecms/mapping/inbound.ts makes them e-CMS XML.
import { SarabanError } from '../../errors.js'
import type { Letter } from '../../domain/letter.js'
import type { Correlation, EcmsItemKind, QueueItem } from '../../storage/ecms-queue.js'
import { openAttachment } from '../inbox-read.js'
import type { EcmsQueueDeps } from './deps.js'
import type { NotifierFacts } from './enqueue.js'

/** A received letter with its attachment bytes (checked against the signed manifest while read). */
export interface QueuedLetter {
  readonly letter: Letter
  readonly senderAgency: string
  readonly recipientAgency: string
  readonly attachments: ReadonlyArray<{ readonly filename: string; readonly mediaType: string; readonly bytes: Buffer }>
}

export type Handout =
  | { readonly kind: 'GovernmentDocument'; readonly processId: string; readonly correlation: Correlation; readonly letter: QueuedLetter }
  | { readonly kind: Exclude<EcmsItemKind, 'GovernmentDocument'>; readonly processId: string; readonly correlation: Correlation; readonly subject: string; readonly facts: NotifierFacts }

/** The correlation key an InboundSpecialRequest names (e-cms.md §3); departments as the client wrote them. */
export interface SpecialKey {
  readonly kind: EcmsItemKind
  readonly letterId: string
  readonly correspondenceDate: string
  readonly senderDepartment?: string | undefined
  readonly acceptDepartment?: string | undefined
}

async function readAll(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const b of body) parts.push(b)
  return Buffer.concat(parts)
}

/** What the item hands out, built from the stored letter (never from a copy kept in the queue). */
async function handout(d: EcmsQueueDeps, item: QueueItem): Promise<Handout> {
  const correlation = d.store.correlation(item.correlationId)!
  if (item.kind === 'GovernmentDocument') {
    const msg = d.inbox.get(correlation.messageId)
    if (!msg) throw new SarabanError('ERR_INTERNAL', `Queue item ${item.processId} names a letter this node no longer holds.`)
    const attachments = []
    for (const a of msg.attachments) {
      const opened = await openAttachment(d, msg.messageId, a.id)
      if (!opened) throw new SarabanError('ERR_INTERNAL', `Attachment ${a.id} of letter ${msg.messageId} is missing.`)
      attachments.push({ filename: opened.filename, mediaType: opened.mediaType, bytes: await readAll(opened.body) })
    }
    const letter = JSON.parse(msg.letterJson) as Letter
    return { kind: 'GovernmentDocument', processId: item.processId, correlation, letter: { letter, senderAgency: msg.senderAgency, recipientAgency: msg.recipientAgency, attachments } }
  }
  const ref = d.notices.outboxRef(correlation.messageId)
  const subject = ref ? (JSON.parse(ref.letterJson) as Letter).subject : ''
  return { kind: item.kind, processId: item.processId, correlation, subject, facts: JSON.parse(item.factsJson) as NotifierFacts }
}

/** CorrespondenceLetterInboundRequest: the next item, or undefined when the queue is empty. */
export async function pullNext(d: EcmsQueueDeps, agency: string): Promise<Handout | undefined> {
  const item = await d.db.write(() => d.store.pullNext(agency, d.clock.now()))
  if (!item) return undefined
  d.log.info({ event: 'ecms.pulled', agency, kind: item.kind, processId: item.processId, pulls: item.pulls }, 'e-CMS client pulled a queue item')
  return handout(d, item)
}

/** CorrespondenceLetterDeleteRequest: idempotent; `deleted` is false when it already was. */
export async function deleteItem(d: EcmsQueueDeps, agency: string, processId: string): Promise<{ deleted: boolean }> {
  const r = await d.db.write(() => {
    const item = d.store.item(agency, processId)
    if (!item) return undefined
    return { deleted: d.store.delete(item.seq, d.clock.now()) }
  })
  if (!r) throw new SarabanError('ERR_NOT_FOUND', `No queue item with ProcessID "${processId}" for this client; use a ProcessID from CorrespondenceLetterInboundResponse.`, { field: 'ProcessID' })
  if (r.deleted) d.log.info({ event: 'ecms.deleted', agency, processId }, 'e-CMS client deleted a queue item')
  return r
}

/** The newest correlation row of an agency for a LetterID and date, narrowed by the departments given;
 *  `live`: not retired (a letter withdrawn in order to be sent again is no longer the one meant). */
export function findCorrelation(d: EcmsQueueDeps, agency: string, direction: 'in' | 'out', key: Omit<SpecialKey, 'kind'>, live = false): Correlation | undefined {
  const rows = d.store.byKey({ agency, direction, ecmsLetterId: key.letterId, correspondenceDate: key.correspondenceDate })
  const same = (want: string | undefined, have: string) => !want || !have || deptEqual(want, have)
  return rows.find((c) => (!live || c.retiredAt === null) && same(key.senderDepartment, c.senderDept) && same(key.acceptDepartment, c.receiverDept))
}

/** e-CMS department codes come as 5 digits (BOI) or 10 (the 2016 directory, padded with zeros): the
 *  5-digit code is the 10-digit one without its trailing zeros (e-cms.md §4). */
export function deptEqual(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().replace(/0+$/, '')
  return a.trim() === b.trim() || norm(a) === norm(b)
}

/** CorrespondenceLetterInboundSpecialRequest: the item again, deleted or not; undefined when unknown. */
export async function pullSpecial(d: EcmsQueueDeps, agency: string, key: SpecialKey): Promise<Handout | undefined> {
  // A letter and the sender's dispute of our acceptance are about letters received here; every other
  // notifier about a letter sent from here.
  const c = findCorrelation(d, agency, key.kind === 'GovernmentDocument' || key.kind === 'InvalidAcceptIDNotifier' ? 'in' : 'out', key)
  const item = c && d.store.itemOf(agency, key.kind, c.id)
  if (!item) return undefined
  d.log.info({ event: 'ecms.pulled-again', agency, kind: item.kind, processId: item.processId }, 'e-CMS client asked for a queue item again')
  return handout(d, item)
}
