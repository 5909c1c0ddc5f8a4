// The receiving side of the classified path (PROTOCOL.md §19.3, §19.6): the receive steps call
// checkCover / checkClassifiedNotice in place of the letter checks (§4.2 check 14), and the receive
// use case stores what they return. A cover's inner envelope is stored opaque and numbered in the
// agency's classified receive register; a notice's officer statement is verified again here.
import { SarabanError } from '../../errors.js'
import { check, schemaIds } from '../../schema/index.js'
import { isoTime } from '../../clock.js'
import type { Directory } from '../../pki/directory.js'
import type { TrustAnchors } from '../../pki/validate.js'
import type { Db } from '../../storage/db.js'
import type { ClassifiedStore, ClassifiedItem } from '../../storage/classified.js'
import type { AccessRecord } from './access-record.js'
import { sha256Hex, verifyStatement, type VerifiedStatement } from './statement.js'
import { officerRef, registerYear } from './submit.js'

/** The cover as signed (schemas/protocol/classified-cover.json). */
export interface Cover {
  readonly controlNumber: string
  readonly addressee: { readonly officer?: string; readonly position?: string }
  readonly urgency: string
  readonly deliverBy?: string
  readonly dispatch: 'electronic' | 'by-hand'
  readonly attachments: ReadonlyArray<{ id: 'inner'; mediaType: 'application/cms'; size: number; sha256: string }>
}

export interface ClassifiedNotice {
  readonly type: 'opened' | 'received-by-hand'
  readonly messageId: string
  readonly envelopeSha256: string
  readonly at: string
  readonly statement: string
}

export interface ClassifiedReceiveDeps {
  readonly db: Db
  readonly store: ClassifiedStore
  readonly access: AccessRecord
  readonly directory: () => Directory
  readonly anchors: TrustAnchors
  readonly clock: { now(): number }
}

/** PROTOCOL.md §19.3 receiver checks: schema, addressed officer, inner bytes = the signed digest. */
export function checkCover(d: ClassifiedReceiveDeps, raw: unknown, h: { to: string }, attachments: readonly Buffer[]): { cover: Cover; inner: Buffer | undefined } {
  const r = check<Cover>(schemaIds.classifiedCover, raw, '/classified')
  if (!r.ok) throw new SarabanError('ERR_CLASSIFIED_INVALID', r.errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors: r.errors })
  const cover = r.value
  if (cover.addressee.officer !== undefined && !d.directory().officer(h.to, cover.addressee.officer)) {
    throw new SarabanError('ERR_OFFICER_UNKNOWN', `"${cover.addressee.officer}" is not an officer of "${h.to}" in the directory.`, { field: '/classified/addressee/officer' })
  }
  if (cover.dispatch === 'by-hand') return { cover, inner: undefined }
  // The profile already checked the attachment against the signed manifest (§5.3); said again here
  // because this binding is what makes a swapped inner envelope fail (§19.11).
  const inner = attachments[0]
  if (attachments.length !== 1 || inner === undefined || sha256Hex(inner) !== cover.attachments[0]!.sha256) {
    throw new SarabanError('ERR_ATTACHMENT_DIGEST_MISMATCH', 'The inner envelope does not match the digest the sender signed in the cover.', { field: '/classified/attachments/0/sha256' })
  }
  return { cover, inner }
}

export interface InboundClassified {
  readonly messageId: string
  readonly from: string
  readonly to: string
  readonly cover: Cover
  readonly inner: Buffer | undefined
  readonly envelope: Buffer
  readonly envelopeSha256: string
  readonly profile: string
  readonly signerJson: string
  readonly receipt: string
  readonly receivedAt: number
  readonly peer: string
}

/** Inside db.write(): the item in the classified receive register, its inner bytes, the receipt entry. */
export function storeInbound(d: ClassifiedReceiveDeps, m: InboundClassified, id: string): void {
  const c = m.cover
  const inner = m.inner
  d.store.insertItem({
    id, direction: 'in', agency: m.to, senderAgency: m.from, controlNumber: c.controlNumber, urgency: c.urgency, deliverBy: c.deliverBy ?? null,
    dispatch: c.dispatch, innerSha256: inner ? c.attachments[0]!.sha256 : null, innerSize: inner ? inner.length : null, createdAt: m.receivedAt,
    forwardedFrom: null, toOfficer: c.addressee.officer ?? null, registerYear: registerYear(m.receivedAt),
  })
  d.store.insertMessage(id, {
    messageId: m.messageId, fromAgency: m.from, toAgency: m.to, coverJson: JSON.stringify(c), profile: m.profile, envelopeSha256: m.envelopeSha256,
    signerJson: m.signerJson, receipt: m.receipt, receivedAt: m.receivedAt,
  })
  if (inner) d.store.insertInner(id, inner)
  d.store.insertEnvelope(m.messageId, m.envelope)
  d.access.append({
    agency: m.to, event: 'receipt', outcome: 'success', rule: 'receive-cover', itemId: id, controlNumber: c.controlNumber, messageId: m.messageId,
    peerAgency: m.from, client: m.peer, ...(inner ? { innerSha256: c.attachments[0]!.sha256 } : {}),
  })
}

/** PROTOCOL.md §19.6: an opened / received-by-hand notice names an item we sent to its signer, and
 *  its statement is an officer's of the notice's sender over that item. Verified again here. */
export async function checkClassifiedNotice(d: ClassifiedReceiveDeps, raw: unknown, h: { from: string; to: string }): Promise<{ notice: ClassifiedNotice; item: ClassifiedItem; statement: VerifiedStatement }> {
  const r = check<ClassifiedNotice>(schemaIds.classifiedNotice, raw, '/notice')
  if (!r.ok) throw new SarabanError('ERR_NOTICE_INVALID', r.errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors: r.errors })
  const notice = r.value
  const msg = d.store.message(notice.messageId)
  const item = msg ? d.store.item(msg.itemId) : undefined
  if (!msg || !item || item.direction !== 'out' || msg.fromAgency !== h.to || msg.toAgency !== h.from) {
    throw new SarabanError('ERR_NOTICE_UNKNOWN_MESSAGE', `No classified item ${notice.messageId} from "${h.to}" to "${h.from}" is known here.`, { field: '/notice/messageId' })
  }
  if (msg.outEnvelopeSha256 !== notice.envelopeSha256) {
    throw new SarabanError('ERR_NOTICE_UNKNOWN_MESSAGE', `The notice names other envelope bytes than item message ${notice.messageId} had.`, { field: '/notice/envelopeSha256' })
  }
  const statement = await verifyStatement(d, notice.statement, {
    type: notice.type, agency: h.from, controlNumber: item.controlNumber, messageId: notice.messageId,
    ...(notice.type === 'opened' ? { innerSha256: item.innerSha256 ?? undefined } : {}),
  }, '/notice/statement')
  return { notice, item, statement }
}

export interface InboundNotice {
  readonly messageId: string
  readonly notice: ClassifiedNotice
  readonly item: ClassifiedItem
  readonly statement: VerifiedStatement
  readonly envelopeSha256: string
  readonly receipt: string
  readonly receivedAt: number
  readonly peer: string
  /** The notice envelope's profile (its `message.received` entry is rebuilt from the row, PROTOCOL.md §20.3). */
  readonly profile: string
}

/** Inside db.write(): the statement as received, shown in the item's status; the access-record entry. */
export function storeInboundNotice(d: ClassifiedReceiveDeps, n: InboundNotice): void {
  const s = n.statement
  d.store.insertStatement({
    itemId: n.item.id, type: n.notice.type, direction: 'in', officerAgency: s.statement.agency, officerId: s.officer.id, certSha256: s.certSha256,
    at: s.statement.at, statementJson: JSON.stringify(s.statement), der: s.der, messageId: n.messageId, createdAt: n.receivedAt,
    noticeEnvelopeSha256: n.envelopeSha256, noticeReceipt: n.receipt, noticeProfile: n.profile,
  })
  d.access.append({
    agency: n.item.agency, event: n.notice.type === 'opened' ? 'opened-notice' : 'by-hand-received', outcome: 'success',
    rule: n.notice.type === 'opened' ? 'opened-notice-verified' : 'received-by-hand-officer', itemId: n.item.id, controlNumber: n.item.controlNumber,
    messageId: n.notice.messageId, peerAgency: s.statement.agency, officer: officerRef(s), client: n.peer,
    ...(s.statement.copy ? { copy: s.statement.copy } : {}),
  })
  void isoTime
}
