// What the API shows of classified items (PROTOCOL.md §19.3, §19.5): the cover's visible fields, the
// register entry, delivery, the officers' statements (who opened which copy when), never anything
// of the inner envelope but its digest and size. Reads go through visibleItem (scope, agency).
import { isoTime } from '../../clock.js'
import { SarabanError } from '../../errors.js'
import type { ClassifiedItem, ClassifiedStore } from '../../storage/classified.js'
import type { AccessEntry, AccessRecord } from './access-record.js'
import type { ClassifiedCaller, ClassifiedDeps } from './deps.js'
import { requireScope, visibleItem } from './access-check.js'

export function itemView(store: ClassifiedStore, item: ClassifiedItem): Record<string, unknown> {
  const messages = store.messages(item.id)
  const statements = store.statements(item.id).map((s) => {
    const st = JSON.parse(s.statementJson) as { copy?: unknown; authority?: string; committee?: string[]; toOfficer?: string; messageId?: string }
    return {
      type: s.type, received: s.direction === 'in', agency: s.officerAgency, officer: s.officerId, certSha256: s.certSha256, at: s.at,
      ...(st.copy ? { copy: st.copy } : {}), ...(st.messageId ? { messageId: st.messageId } : {}), ...(st.authority ? { authority: st.authority } : {}),
      ...(st.committee ? { committee: st.committee } : {}), ...(st.toOfficer ? { toOfficer: st.toOfficer } : {}),
    }
  })
  return {
    id: item.id, direction: item.direction, agency: item.agency, from: item.senderAgency, controlNumber: item.controlNumber, urgency: item.urgency,
    // What an officer's CLI binds the inner envelope to (PROTOCOL.md §19.2): the receiving agencies,
    // the digest of the sealed bytes, and (received items) the one outer message id.
    to: item.direction === 'in' ? [item.agency] : [...new Set(messages.map((m) => m.toAgency))],
    ...(item.innerSha256 ? { innerSha256: item.innerSha256 } : {}),
    ...(item.direction === 'in' && messages.length === 1 ? { messageId: messages[0]!.messageId } : {}),
    ...(item.deliverBy ? { deliverBy: item.deliverBy } : {}), dispatch: item.dispatch,
    ...(item.innerSha256 ? { inner: { sha256: item.innerSha256, size: item.innerSize, mediaType: 'application/cms', held: item.destroyedAt === null } } : {}),
    createdAt: isoTime(item.createdAt),
    register: { book: 'classified', direction: item.direction === 'out' ? 'send' : 'receive', year: item.registerYear, number: item.registerNumber },
    ...(item.forwardedFrom ? { forwardedFrom: item.forwardedFrom } : {}), ...(item.toOfficer ? { toOfficer: item.toOfficer } : {}),
    ...(item.destroyedAt !== null ? { destroyedAt: isoTime(item.destroyedAt) } : {}),
    messages: messages.map((m) => ({
      messageId: m.messageId, from: m.fromAgency, to: m.toAgency, addressee: (JSON.parse(m.coverJson) as { addressee: unknown }).addressee,
      ...(item.direction === 'out'
        ? { status: m.status ?? 'recorded', ...(m.deliveredAt ? { deliveredAt: isoTime(m.deliveredAt) } : {}), ...(m.lastErrorCode ? { lastErrorCode: m.lastErrorCode } : {}) }
        : { receivedAt: m.receivedAt ? isoTime(m.receivedAt) : null }),
    })),
    statements,
    opened: statements.filter((s) => s.type === 'opened').map((s) => ({ agency: s.agency, officer: s.officer, at: s.at, copy: s.copy })),
  }
}

export async function getItem(deps: ClassifiedDeps, caller: ClassifiedCaller, id: string): Promise<Record<string, unknown>> {
  return itemView(deps.store, await visibleItem(deps, caller, id, 'view'))
}

export async function listItems(deps: ClassifiedDeps, caller: ClassifiedCaller, q: { direction?: 'in' | 'out' | undefined; agency?: string | undefined; limit: number; cursor?: string | undefined }): Promise<{ items: unknown[]; nextCursor?: string }> {
  await requireScope(deps, caller, 'view')
  const agency = q.agency ?? caller.agencies.find((a) => deps.hosted.has(a))
  if (!agency || !caller.agencies.includes(agency)) throw new SarabanError('ERR_FORBIDDEN', 'Name an agency this API key acts for in ?agency=.', { field: '/query/agency' })
  // The API's one opaque cursor (README "Conventions"): base64url("<createdAt>.<id>") of the last item.
  const decoded = q.cursor === undefined ? undefined : /^(\d{1,15})\.(.+)$/.exec(Buffer.from(q.cursor, 'base64url').toString('utf8'))
  if (q.cursor !== undefined && !decoded) throw new SarabanError('ERR_REQUEST_INVALID', 'The cursor is not one this list issued; pass nextCursor unchanged.', { field: '/query/cursor' })
  const [before, beforeId] = decoded ? [Number(decoded[1]), decoded[2]] : [Number.MAX_SAFE_INTEGER, '']
  const rows = deps.store.list({ agency, direction: q.direction, before: before!, beforeId: beforeId!, limit: q.limit })
  const last = rows[rows.length - 1]
  return { items: rows.map((r) => itemView(deps.store, r)), ...(rows.length === q.limit && last ? { nextCursor: Buffer.from(`${last.createdAt}.${last.id}`, 'utf8').toString('base64url') } : {}) }
}

/** GET …/inner: the opaque bytes, to a key with the scope; each download is in the access record. */
export async function downloadInner(deps: ClassifiedDeps, caller: ClassifiedCaller, id: string): Promise<Buffer> {
  const item = await visibleItem(deps, caller, id, 'download')
  const bytes = deps.store.inner(item.id)
  const entry = { agency: item.agency, event: 'download' as const, rule: 'download-with-scope' as const, itemId: item.id, controlNumber: item.controlNumber, apiKey: caller.keyName, client: caller.client }
  if (!bytes) {
    await deps.access.refused({ ...entry, code: 'ERR_CLASSIFIED_DESTROYED' })
    throw new SarabanError('ERR_CLASSIFIED_DESTROYED', item.dispatch === 'by-hand' ? 'A by-hand item has no inner envelope on the node.' : 'The inner envelope of this item was destroyed.')
  }
  await deps.db.write(() => deps.access.append({ ...entry, outcome: 'success', innerSha256: item.innerSha256 ?? undefined }))
  return bytes
}

export async function accessOf(deps: ClassifiedDeps, caller: ClassifiedCaller, id: string): Promise<AccessEntry[]> {
  const item = await visibleItem(deps, caller, id, 'view')
  return deps.access.forItem(item.id)
}

/** The delivery worker's hook (PROTOCOL.md §19.7), inside its transaction. */
export function recordDelivery(d: { store: ClassifiedStore; access: AccessRecord }, messageId: string, _at: number): void {
  const m = d.store.message(messageId)
  const item = m ? d.store.item(m.itemId) : undefined
  if (!m || !item || item.direction !== 'out') return // a notice of the classified path: its act is recorded already
  d.access.append({ agency: item.agency, event: 'delivery', outcome: 'success', rule: 'delivery-receipt', itemId: item.id, controlNumber: item.controlNumber, messageId, peerAgency: m.toAgency })
}
