// The officers' acts on a held item (PROTOCOL.md §19.6, §19.8, §19.9): opening acknowledgement (and
// received-by-hand), forwarding inside the agency, destruction; and the by-hand dispatch record. Each
// runs its named rules; a refusal is recorded; an accepted act, its statement and its access-record
// entry commit together; a notice to the sender is sealed and queued in the same transaction.
import { randomUUID } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { isoTime } from '../../clock.js'
import type { Urgency } from '../../domain/urgency.js'
import type { ClassifiedItem } from '../../storage/classified.js'
import type { ClassifiedCaller, ClassifiedDeps } from './deps.js'
import { requireScope, visibleItem } from './access-check.js'
import { runRules, RuleRefusal, type RuleName, type RuleStep } from './rules.js'
import { sha256Hex, strictBase64, verifyStatement, type VerifiedStatement } from './statement.js'
import { outerTarget, queueOuter, sealOuter, type SealedOuter } from './seal-outer.js'
import { officerRef, registerYear } from './submit.js'
import type { AccessEvent, AccessInput } from './access-record.js'

/** Runs the rules of an act on `item`; a refusal is recorded with the rule that refused it. */
async function guarded(deps: ClassifiedDeps, caller: ClassifiedCaller, item: ClassifiedItem, event: AccessEvent, steps: RuleStep[], extra: () => Partial<AccessInput> = () => ({})): Promise<RuleName> {
  try {
    return await runRules(steps)
  } catch (e) {
    if (!(e instanceof RuleRefusal)) throw e
    await deps.access.refused({ agency: item.agency, event, rule: e.rule, code: e.error.code, itemId: item.id, controlNumber: item.controlNumber, apiKey: caller.keyName, client: caller.client, ...extra() })
    throw e.error
  }
}

const held = (item: ClassifiedItem): void => {
  if (item.destroyedAt !== null) throw new SarabanError('ERR_CLASSIFIED_DESTROYED', 'The inner envelope of this item was destroyed.')
}

/** POST …/acknowledgements: the officer's opened (or received-by-hand) statement; the notice goes back. */
export async function acknowledge(deps: ClassifiedDeps, caller: ClassifiedCaller, id: string, b64: string): Promise<{ messageId?: string }> {
  const item = await visibleItem(deps, caller, id, 'acknowledgement')
  const byHand = item.dispatch === 'by-hand'
  const msg = deps.store.messages(item.id)[0]
  let v: VerifiedStatement | undefined
  const rule: RuleName = byHand ? 'received-by-hand-officer' : 'opened-by-recipient-officer'
  await guarded(deps, caller, item, 'acknowledgement', [
    [rule, async () => {
      if (item.direction !== 'in') throw new SarabanError('ERR_CLASSIFIED_INVALID', 'Only the receiving agency acknowledges an item.', { field: '/statement' })
      v = await verifyStatement(deps, b64, {
        type: byHand ? 'received-by-hand' : 'opened', agency: item.agency, controlNumber: item.controlNumber,
        ...(byHand ? {} : { innerSha256: item.innerSha256 ?? undefined }),
        // A forwarded copy was never a message: its opening is recorded here only (§19.9).
        ...(msg ? { messageId: msg.messageId } : {}),
      }, '/statement')
    }],
  ])
  const s = v!
  const now = deps.clock.now()
  let sealed: SealedOuter | undefined
  if (msg && item.forwardedFrom === null) {
    const notice = { type: byHand ? 'received-by-hand' : 'opened', messageId: msg.messageId, envelopeSha256: msg.envelopeSha256!, at: isoTime(now), statement: s.der.toString('base64') }
    sealed = await sealOuter(deps, item.agency, await outerTarget(deps, item.senderAgency, '/statement'), { notice }, item.urgency as Urgency)
  }
  await deps.db.write(() => {
    if (sealed) queueOuter(deps, sealed)
    deps.store.insertStatement({
      itemId: item.id, type: s.statement.type, direction: 'local', officerAgency: item.agency, officerId: s.officer.id, certSha256: s.certSha256, at: s.statement.at,
      statementJson: JSON.stringify(s.statement), der: s.der, messageId: sealed?.message.messageId ?? null, createdAt: now,
    })
    deps.access.append({
      agency: item.agency, event: 'acknowledgement', outcome: 'success', rule, itemId: item.id, controlNumber: item.controlNumber, messageId: msg?.messageId,
      officer: officerRef(s), apiKey: caller.keyName, client: caller.client, ...(s.statement.copy ? { copy: s.statement.copy } : {}),
    })
  })
  if (sealed) {
    deps.envelopes.put(sealed.message.messageId, sealed.envelope)
    deps.onQueued()
  }
  return sealed ? { messageId: sealed.message.messageId } : {}
}

/** POST …/forward: a new inner envelope for another officer of the same agency (§19.9). */
export async function forward(deps: ClassifiedDeps, caller: ClassifiedCaller, id: string, body: { inner: string; statement: string; toOfficer: string }): Promise<{ id: string }> {
  const item = await visibleItem(deps, caller, id, 'forwarding')
  let v: VerifiedStatement | undefined
  let inner: Buffer = Buffer.alloc(0)
  await guarded(deps, caller, item, 'forwarding', [
    ['forward-within-agency', async () => {
      held(item)
      if (!deps.directory().officer(item.agency, body.toOfficer)) throw new SarabanError('ERR_OFFICER_UNKNOWN', `"${body.toOfficer}" is not an officer of "${item.agency}" in the directory.`, { field: '/toOfficer' })
      inner = strictBase64(body.inner, '/inner', 'The inner envelope')
      if (inner.length > deps.maxInnerBytes) throw new SarabanError('ERR_PAYLOAD_TOO_LARGE', `The inner envelope is larger than ${deps.maxInnerBytes} bytes.`, { field: '/inner' })
      v = await verifyStatement(deps, body.statement, { type: 'forwarded', agency: item.agency, controlNumber: item.controlNumber, innerSha256: item.innerSha256 ?? undefined }, '/statement')
      if (v.statement.toOfficer !== body.toOfficer || v.statement.newInnerSha256 !== sha256Hex(inner)) {
        throw new SarabanError('ERR_STATEMENT_INVALID', 'The forwarded statement names another officer or other new inner bytes than submitted.', { field: '/statement' })
      }
    }],
  ])
  const s = v!
  const newId = randomUUID()
  const now = deps.clock.now()
  await deps.db.write(() => {
    deps.store.insertItem({
      id: newId, direction: 'in', agency: item.agency, senderAgency: item.senderAgency, controlNumber: item.controlNumber, urgency: item.urgency, deliverBy: item.deliverBy,
      dispatch: 'electronic', innerSha256: sha256Hex(inner), innerSize: inner.length, createdAt: now, forwardedFrom: item.id, toOfficer: body.toOfficer, registerYear: registerYear(now),
    })
    deps.store.insertInner(newId, inner)
    for (const itemId of [item.id, newId]) {
      deps.store.insertStatement({
        itemId, type: 'forwarded', direction: 'local', officerAgency: item.agency, officerId: s.officer.id, certSha256: s.certSha256, at: s.statement.at,
        statementJson: JSON.stringify(s.statement), der: s.der, messageId: null, createdAt: now,
      })
      deps.access.append({
        agency: item.agency, event: 'forwarding', outcome: 'success', rule: 'forward-within-agency', itemId, controlNumber: item.controlNumber, officer: officerRef(s),
        apiKey: caller.keyName, client: caller.client, innerSha256: sha256Hex(inner),
      })
    }
  })
  return { id: newId }
}

/** POST …/destroy (§19.9): deletes the inner bytes (and every outer envelope that carries them), keeps
 *  the register entry and the access record, marked destroyed; then truncates the WAL. */
export async function destroy(deps: ClassifiedDeps, caller: ClassifiedCaller, id: string, body: { statement: string; secondStatement?: string | undefined }): Promise<Record<string, unknown>> {
  const item = await visibleItem(deps, caller, id, 'destruction')
  const signed: VerifiedStatement[] = []
  await guarded(deps, caller, item, 'destruction', [
    ['destroy-with-authority', async () => {
      held(item)
      // The outbox still needs the sealed bytes of a message not yet delivered (or given up on).
      if (deps.store.messages(item.id).some((m) => m.status === 'queued' || m.status === 'sending')) {
        throw new SarabanError('ERR_CLASSIFIED_INVALID', 'A delivery of this item is still pending; destroy it once it was delivered or has failed.', { field: '/statement' })
      }
      const expect = { type: 'destroyed' as const, agency: item.agency, controlNumber: item.controlNumber, ...(item.innerSha256 ? { innerSha256: item.innerSha256 } : {}) }
      signed.push(await verifyStatement(deps, body.statement, expect, '/statement'))
      if (body.secondStatement !== undefined) {
        const second = await verifyStatement(deps, body.secondStatement, expect, '/secondStatement')
        if (second.officer.id === signed[0]!.officer.id) throw new SarabanError('ERR_STATEMENT_INVALID', 'The second destruction statement must be by another officer.', { field: '/secondStatement' })
        // Both officers sign the same destruction record: the same authority and committee.
        const same = (k: 'authority' | 'committee') => JSON.stringify(second.statement[k]) === JSON.stringify(signed[0]!.statement[k])
        if (!same('authority') || !same('committee')) throw new SarabanError('ERR_STATEMENT_INVALID', 'The second destruction statement must name the same authority and committee as the first.', { field: '/secondStatement' })
        signed.push(second)
      }
    }],
  ])
  const now = deps.clock.now()
  await deps.db.write(() => {
    if (!deps.store.destroy(item.id, now)) throw new SarabanError('ERR_CLASSIFIED_DESTROYED', 'The item was already destroyed.')
    for (const s of signed) {
      deps.store.insertStatement({
        itemId: item.id, type: 'destroyed', direction: 'local', officerAgency: item.agency, officerId: s.officer.id, certSha256: s.certSha256, at: s.statement.at,
        statementJson: JSON.stringify(s.statement), der: s.der, messageId: null, createdAt: now,
      })
    }
    deps.access.append({
      agency: item.agency, event: 'destruction', outcome: 'success', rule: 'destroy-with-authority', itemId: item.id, controlNumber: item.controlNumber,
      officer: officerRef(signed[0]!), ...(signed[1] ? { secondApprover: officerRef(signed[1]) } : {}), authority: signed[0]!.statement.authority,
      apiKey: caller.keyName, client: caller.client, innerSha256: item.innerSha256 ?? undefined,
    })
  })
  for (const m of deps.store.messages(item.id)) deps.envelopes.delete(m.messageId) // the cached outer envelopes too
  // Readers may hold the old WAL frames for a moment: try again briefly (§19.9).
  let shredded = false
  for (let i = 0; i < 50 && !(shredded = deps.db.shred()); i++) await new Promise((r) => setTimeout(r, 20))
  if (!shredded) deps.log.warn({ event: 'classified.shred-deferred', id: item.id }, 'the WAL could not be truncated yet; the next checkpoint overwrites it')
  return { id: item.id, destroyedAt: isoTime(now), walTruncated: shredded }
}

export interface ByHandBody {
  readonly from: string
  readonly to: string
  readonly controlNumber?: string | undefined
  readonly addressee: { agency: string; officer?: string | undefined; position?: string | undefined }
  readonly urgency?: Urgency | undefined
}

/** POST /api/v1/classified/by-hand (§19.8): a TOP_SECRET item carried by hand, recorded in both registers. */
export async function dispatchByHand(deps: ClassifiedDeps, caller: ClassifiedCaller, body: ByHandBody): Promise<{ id: string; controlNumber: string; messageId: string }> {
  await requireScope(deps, caller, 'by-hand-dispatch')
  if (!deps.hosted.has(body.from) || !caller.agencies.includes(body.from)) throw new SarabanError('ERR_FORBIDDEN', `This API key may not act for "${body.from}".`, { field: '/from' })
  const now = deps.clock.now()
  let controlNumber = body.controlNumber ?? ''
  let target
  const fail = async (rule: RuleName, err: SarabanError): Promise<never> => {
    await deps.access.refused({ agency: body.from, event: 'by-hand-dispatch', rule, code: err.code, apiKey: caller.keyName, client: caller.client, ...(controlNumber ? { controlNumber } : {}) })
    throw err
  }
  if (controlNumber) {
    const r = deps.store.controlNumber(controlNumber)
    if (!r || r.agency !== body.from || r.usedBy !== null) await fail('control-number-reserved', new SarabanError('ERR_CLASSIFIED_INVALID', `Control number ${controlNumber} is not a reserved, unused number of "${body.from}".`, { field: '/controlNumber' }))
  }
  try {
    target = await outerTarget(deps, body.to, '/to')
  } catch (e) {
    if (e instanceof SarabanError) return fail('recipients-listed', e)
    throw e
  }
  if (body.addressee.agency !== body.to || (body.addressee.officer !== undefined && !deps.directory().officer(body.to, body.addressee.officer))) {
    await fail('addressee-officer-listed', new SarabanError('ERR_OFFICER_UNKNOWN', `The addressee must be at "${body.to}", and a named officer must be its officer in the directory.`, { field: '/addressee' }))
  }
  if (!controlNumber) controlNumber = await deps.db.write(() => deps.store.reserveControlNumber(body.from, registerYear(now), now))
  const cover = {
    controlNumber, addressee: { ...(body.addressee.officer !== undefined ? { officer: body.addressee.officer } : {}), ...(body.addressee.position !== undefined ? { position: body.addressee.position } : {}) },
    urgency: body.urgency ?? 'NORMAL', dispatch: 'by-hand', attachments: [],
  }
  const sealed = await sealOuter(deps, body.from, target, { cover }, body.urgency ?? 'NORMAL')
  const id = randomUUID()
  await deps.db.write(() => {
    deps.store.insertItem({
      id, direction: 'out', agency: body.from, senderAgency: body.from, controlNumber, urgency: cover.urgency, deliverBy: null, dispatch: 'by-hand',
      innerSha256: null, innerSize: null, createdAt: now, forwardedFrom: null, toOfficer: null, registerYear: registerYear(now),
    })
    // After the item: the reservation refers to it (migration 017).
    if (!deps.store.useControlNumber(controlNumber, id)) throw new SarabanError('ERR_CLASSIFIED_INVALID', `Control number ${controlNumber} is already used.`, { field: '/controlNumber' })
    queueOuter(deps, sealed)
    deps.store.insertMessage(id, { messageId: sealed.message.messageId, fromAgency: body.from, toAgency: body.to, coverJson: JSON.stringify(cover) })
    deps.access.append({ agency: body.from, event: 'by-hand-dispatch', outcome: 'success', rule: 'top-secret-by-hand', itemId: id, controlNumber, messageId: sealed.message.messageId, peerAgency: body.to, apiKey: caller.keyName, client: caller.client })
  })
  deps.envelopes.put(sealed.message.messageId, sealed.envelope)
  deps.onQueued()
  return { id, controlNumber, messageId: sealed.message.messageId }
}
