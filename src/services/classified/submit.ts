// Submitting a sealed classified letter (PROTOCOL.md §19.5): the officers sealed the inner envelope
// on their own machines; the node checks the release statements over exactly those bytes, seals one
// outer envelope per recipient with the cover, and queues them, with the item in the classified send
// register and the submission in the access record, in one transaction.
import { randomUUID } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { beYearOfCe } from '../../domain/registers.js'
import { bangkokYear } from '../../domain/notices.js'
import type { Urgency } from '../../domain/urgency.js'
import type { ClassifiedCaller, ClassifiedDeps } from './deps.js'
import { requireScope } from './access-check.js'
import { runRules, RuleRefusal, type RuleStep } from './rules.js'
import { sha256Hex, strictBase64, verifyStatement, type VerifiedStatement } from './statement.js'
import { outerTarget, queueOuter, sealOuter, type OuterTarget, type SealedOuter } from './seal-outer.js'
import type { OfficerRef } from './access-record.js'

export interface SubmitBody {
  readonly from: string
  readonly to: readonly string[]
  readonly controlNumber?: string | undefined
  readonly addressees: ReadonlyArray<{ agency: string; officer?: string | undefined; position?: string | undefined }>
  readonly urgency?: Urgency | undefined
  readonly deliverBy?: string | undefined
  readonly inner: string
  readonly releases: readonly string[]
}

export interface SubmitResult {
  readonly id: string
  readonly controlNumber: string
  readonly innerSha256: string
  readonly messages: ReadonlyArray<{ to: string; messageId: string }>
}

export function officerRef(v: VerifiedStatement): OfficerRef {
  return { agency: v.statement.agency, officer: v.officer.id, role: v.officer.role, certSha256: v.certSha256 }
}

/** The classified register year of an instant: the Buddhist-Era year in Asia/Bangkok. */
export function registerYear(ms: number): number {
  return beYearOfCe(bangkokYear(ms))
}

/** PROTOCOL.md §19.2: a control number is reserved before sealing, since the inner envelope carries it. */
export async function reserveControlNumber(deps: ClassifiedDeps, caller: ClassifiedCaller, agency: string): Promise<string> {
  await requireScope(deps, caller, 'submission')
  if (!deps.hosted.has(agency) || !caller.agencies.includes(agency)) throw new SarabanError('ERR_FORBIDDEN', `This API key may not act for "${agency}".`, { field: '/agency' })
  return deps.db.write(() => deps.store.reserveControlNumber(agency, registerYear(deps.clock.now()), deps.clock.now()))
}

export async function submitClassified(deps: ClassifiedDeps, caller: ClassifiedCaller, body: SubmitBody): Promise<SubmitResult> {
  await requireScope(deps, caller, 'submission')
  const from = body.from
  let inner: Buffer = Buffer.alloc(0)
  let innerSha256 = ''
  let controlNumber = body.controlNumber ?? ''
  const releases: VerifiedStatement[] = []
  const targets: OuterTarget[] = []
  const covers: Array<{ to: string; cover: Record<string, unknown> }> = []
  const steps: RuleStep[] = [
    ['key-acts-for-agency', () => {
      if (!deps.hosted.has(from)) throw new SarabanError('ERR_SENDER_NOT_HOSTED', `This node does not host agency "${from}".`, { field: '/from' })
      if (!caller.agencies.includes(from)) throw new SarabanError('ERR_FORBIDDEN', `This API key may not send for "${from}".`, { field: '/from' })
      deps.requireFreshDirectory?.()
    }],
    ['release-by-sending-officer', async () => {
      inner = strictBase64(body.inner, '/inner', 'The inner envelope')
      if (inner.length > deps.maxInnerBytes) throw new SarabanError('ERR_PAYLOAD_TOO_LARGE', `The inner envelope is ${inner.length} bytes; this node accepts at most ${deps.maxInnerBytes}.`, { field: '/inner' })
      innerSha256 = sha256Hex(inner)
      const seen = new Set<string>()
      for (const [i, r] of body.releases.entries()) {
        const v = await verifyStatement(deps, r, { type: 'release', agency: from, innerSha256, ...(controlNumber ? { controlNumber } : {}) }, `/releases/${i}`)
        // Without a control number in the request, the first release names it (the inner carries it).
        if (!controlNumber) controlNumber = v.statement.controlNumber
        if (!seen.has(v.officer.id)) releases.push(v)
        seen.add(v.officer.id)
      }
    }],
    ['control-number-reserved', () => {
      const r = deps.store.controlNumber(controlNumber)
      if (!r || r.agency !== from) throw new SarabanError('ERR_CLASSIFIED_INVALID', `Control number ${controlNumber} was not reserved by "${from}": reserve one with POST /api/v1/classified/control-numbers before sealing.`, { field: '/controlNumber' })
      if (r.usedBy !== null) throw new SarabanError('ERR_CLASSIFIED_INVALID', `Control number ${controlNumber} is already used by another item.`, { field: '/controlNumber' })
    }],
    ['recipients-listed', async () => {
      for (const [i, to] of body.to.entries()) targets.push(await outerTarget(deps, to, `/to/${i}`))
    }],
    ['addressee-officer-listed', () => {
      const directory = deps.directory()
      for (const [i, to] of body.to.entries()) {
        const a = body.addressees.find((x) => x.agency === to)
        if (!a || (a.officer === undefined && a.position === undefined)) {
          throw new SarabanError('ERR_CLASSIFIED_INVALID', `Name the addressee (officer or position) at "${to}" in addressees.`, { field: '/addressees' })
        }
        if (a.officer !== undefined && !directory.officer(to, a.officer)) {
          throw new SarabanError('ERR_OFFICER_UNKNOWN', `"${a.officer}" is not an officer of "${to}" in the directory.`, { field: `/addressees/${body.addressees.indexOf(a)}/officer` })
        }
        const cover: Record<string, unknown> = {
          controlNumber,
          addressee: { ...(a.officer !== undefined ? { officer: a.officer } : {}), ...(a.position !== undefined ? { position: a.position } : {}) },
          urgency: body.urgency ?? 'NORMAL',
          ...(body.deliverBy !== undefined ? { deliverBy: body.deliverBy } : {}),
          dispatch: 'electronic',
          attachments: [{ id: 'inner', mediaType: 'application/cms', size: inner.length, sha256: innerSha256 }],
        }
        covers.push({ to, cover })
        void i
      }
    }],
  ]
  // The rule an accepted submission is recorded under: the release, which all the others serve.
  const rule = 'release-by-sending-officer' as const
  try {
    await runRules(steps)
  } catch (e) {
    if (!(e instanceof RuleRefusal)) throw e
    if (deps.hosted.has(from) && caller.agencies.includes(from)) {
      await deps.access.refused({
        agency: from, event: 'submission', rule: e.rule, code: e.error.code, apiKey: caller.keyName, client: caller.client,
        ...(controlNumber ? { controlNumber } : {}), ...(innerSha256 ? { innerSha256 } : {}),
        ...(releases[0] ? { officer: officerRef(releases[0]) } : {}),
      })
    }
    throw e.error
  }
  const deadlineAt = body.deliverBy === undefined ? undefined : Date.parse(body.deliverBy)
  const sealed: SealedOuter[] = []
  for (const [i, t] of targets.entries()) {
    sealed.push(await sealOuter(deps, from, t, { cover: covers[i]!.cover, inner }, body.urgency ?? 'NORMAL', deadlineAt))
  }
  const id = randomUUID()
  const now = deps.clock.now()
  await deps.db.write(() => {
    deps.store.insertItem({
      id, direction: 'out', agency: from, senderAgency: from, controlNumber, urgency: body.urgency ?? 'NORMAL', deliverBy: body.deliverBy ?? null,
      dispatch: 'electronic', innerSha256, innerSize: inner.length, createdAt: now, forwardedFrom: null, toOfficer: null, registerYear: registerYear(now),
    })
    // After the item: the reservation refers to it (migration 017).
    if (!deps.store.useControlNumber(controlNumber, id)) throw new SarabanError('ERR_CLASSIFIED_INVALID', `Control number ${controlNumber} is already used by another item.`, { field: '/controlNumber' })
    deps.store.insertInner(id, inner)
    for (const [i, s] of sealed.entries()) {
      queueOuter(deps, s)
      deps.store.insertMessage(id, { messageId: s.message.messageId, fromAgency: from, toAgency: targets[i]!.to, coverJson: JSON.stringify(covers[i]!.cover) })
    }
    for (const r of releases) {
      deps.store.insertStatement({
        itemId: id, type: 'release', direction: 'local', officerAgency: from, officerId: r.officer.id, certSha256: r.certSha256, at: r.statement.at,
        statementJson: JSON.stringify(r.statement), der: r.der, messageId: null, createdAt: now,
      })
    }
    deps.access.append({
      agency: from, event: 'submission', outcome: 'success', rule, itemId: id, controlNumber, innerSha256, apiKey: caller.keyName, client: caller.client,
      officer: officerRef(releases[0]!), ...(releases[1] ? { secondApprover: officerRef(releases[1]) } : {}),
    })
  })
  for (const s of sealed) deps.envelopes.put(s.message.messageId, s.envelope)
  deps.log.info({ event: 'classified.queued', id, controlNumber, from, recipients: sealed.length }, 'classified item sealed and queued')
  deps.onQueued()
  return { id, controlNumber, innerSha256, messages: sealed.map((s, i) => ({ to: targets[i]!.to, messageId: s.message.messageId })) }
}
