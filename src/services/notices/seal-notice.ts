// Phase two of every notice (PROTOCOL.md §18.5): seal the recorded notice for its addressee and queue
// it in the outbox, where the one delivery worker sends it like a letter (retries, receipt check §6.3).
// The act (and its register number) committed first; a notice that cannot be sealed now (no
// certificate, a stale directory, a crash in between) stays recorded and is sealed by resume().
import { randomUUID } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { isoTime } from '../../clock.js'
import { urgencyPriority } from '../../domain/urgency.js'
import type { Urgency } from '../../domain/urgency.js'
import type { NoticeRow } from '../../storage/notices.js'
import type { NoticeDeps } from './deps.js'
import { requireOwnSigner } from '../expiry/own-signer.js'

/** Seals one recorded outgoing notice and queues it; throws a coded SarabanError when it cannot yet. */
export async function sealNotice(deps: NoticeDeps, n: NoticeRow): Promise<void> {
  const directory = deps.directory()
  const to = directory.agency(n.toAgency)
  if (!to) throw new SarabanError('ERR_UNKNOWN_AGENCY', `Agency "${n.toAgency}" is not in the federation directory.`)
  const profile = deps.profiles.choose(to.profiles)
  if (!profile) throw new SarabanError('ERR_NO_COMMON_PROFILE', `Agency "${n.toAgency}" accepts none of this node's envelope profiles.`)
  const now = deps.clock.now()
  const cert = directory.encryptionCertFor(n.toAgency, new Date(now))
  if (!cert) throw new SarabanError('ERR_RECIPIENT_CERT_INVALID', `Agency "${n.toAgency}" has no encryption certificate valid now in the directory.`)
  const certCheck = await deps.anchors.validate([cert], { at: new Date(now), role: 'encryption', code: 'ERR_RECIPIENT_CERT_INVALID' })
  if (!certCheck.ok) throw new SarabanError(certCheck.code, `The encryption certificate of "${n.toAgency}" does not validate: ${certCheck.reason}`)
  const agency = deps.hosted.get(n.fromAgency)
  if (!agency) throw new SarabanError('ERR_SENDER_NOT_HOSTED', `This node no longer hosts agency "${n.fromAgency}".`)
  await requireOwnSigner(deps.anchors, n.fromAgency, agency.signer.chain, now) // issue 17 item 4: ERR_SIGNING_CERT_REVOKED

  const notice = JSON.parse(n.noticeJson) as object
  const sealed = await profile.seal({
    messageId: n.messageId, from: n.fromAgency, to: n.toAgency, sentAt: isoTime(now),
    letter: {}, attachments: [], notice, signer: agency.signer, recipientCert: cert, checkpoint: deps.checkpoint?.(n.fromAgency),
  })
  // A notice goes with the urgency of the letter it is about (PROTOCOL.md §7.2).
  const ref = deps.notices.outboxRef(n.refersTo) ?? deps.notices.inboxRef(n.refersTo)
  const urgency = ref ? ((JSON.parse(ref.letterJson) as { urgency?: Urgency }).urgency ?? 'NORMAL') : 'NORMAL'
  const letterId = randomUUID()
  await deps.db.write(() => {
    deps.outbox.insertLetter({ id: letterId, senderAgency: n.fromAgency, letterJson: n.noticeJson, createdAt: now }, [{
      messageId: n.messageId, letterId, recipientAgency: n.toAgency, profile: profile.id, envelope: sealed.envelope,
      envelopeSha256: sealed.envelopeSha256, contentKey: sealed.contentKey, priority: urgencyPriority(urgency), nextAttemptAt: now,
    }])
    deps.notices.markSealed(n.messageId, letterId)
    deps.timestamps?.record([{ messageId: n.messageId, side: 'outbox', kind: 'letter', signature: sealed.signature }])
  })
  deps.envelopes.put(n.messageId, sealed.envelope)
  deps.log.info({ event: 'notice.queued', messageId: n.messageId, type: n.type, refersTo: n.refersTo, from: n.fromAgency, to: n.toAgency }, 'notice sealed and queued')
  deps.onQueued()
}

/** Seals what it can of the given notices; logs (does not throw) the ones that must wait. */
export async function sealAll(deps: NoticeDeps, rows: readonly NoticeRow[]): Promise<number> {
  let n = 0
  for (const row of rows) {
    try {
      await sealNotice(deps, row)
      n++
    } catch (err) {
      deps.log.warn({ err, event: 'notice.seal-deferred', messageId: row.messageId, type: row.type }, 'a notice could not be sealed yet; it stays recorded and is retried')
    }
  }
  return n
}

/** Seals notices recorded but not sealed (after a crash, or while the directory or a certificate was
 *  not usable). Called at start and by a timer. */
export async function resumeNotices(deps: NoticeDeps): Promise<number> {
  let rows: readonly NoticeRow[]
  try {
    rows = deps.notices.unsealed()
  } catch (err) {
    // The database out of reach (PostgreSQL down): the timer tries again; a rejection here would end the process.
    deps.log.warn({ err, event: 'notice.resume-failed' }, 'the notices waiting to be sealed could not be read; they are tried again in a minute')
    return 0
  }
  return sealAll(deps, rows)
}
