// The outer envelope of a classified item (PROTOCOL.md §19.3): the ordinary node-to-node envelope of
// the profile the recipient accepts, its signed payload carrying the cover in place of a letter and
// the inner envelope as the one attachment of the bundle; queued in the outbox like a notice (a
// letters row of kind 'notice', marked as of the classified path, so no letter event names it).
import { randomUUID } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { isoTime } from '../../clock.js'
import { urgencyPriority, type Urgency } from '../../domain/urgency.js'
import type { EnvelopeProfile } from '../../crypto/profiles.js'
import type { X509Certificate } from 'node:crypto'
import type { NewOutboxMessage } from '../../storage/outbox.js'
import type { ClassifiedDeps } from './deps.js'
import { requireOwnSigner } from '../expiry/own-signer.js'

export interface OuterTarget {
  readonly to: string
  readonly profile: EnvelopeProfile
  readonly cert: X509Certificate
}

/** Checks what the recipient would refuse before anything is sealed (as services/send.ts does). */
export async function outerTarget(deps: ClassifiedDeps, to: string, field: string): Promise<OuterTarget> {
  const directory = deps.directory()
  const entry = directory.agency(to)
  if (!entry) throw new SarabanError('ERR_UNKNOWN_AGENCY', `Agency "${to}" is not in the federation directory.`, { field })
  if (entry.status !== 'active') throw new SarabanError('ERR_AGENCY_SUSPENDED', `Agency "${to}" is ${entry.status} in the federation directory.`, { field })
  const profile = deps.profiles.choose(entry.profiles)
  if (!profile) throw new SarabanError('ERR_NO_COMMON_PROFILE', `Agency "${to}" accepts none of this node's envelope profiles (${deps.profiles.ids().join(', ')}).`, { field })
  const now = deps.clock.now()
  const cert = directory.encryptionCertFor(to, new Date(now))
  if (!cert) throw new SarabanError('ERR_RECIPIENT_CERT_INVALID', `Agency "${to}" has no encryption certificate valid now in the directory.`, { field })
  const check = await deps.anchors.validate([cert], { at: new Date(now), role: 'encryption', code: 'ERR_RECIPIENT_CERT_INVALID' })
  if (!check.ok) throw new SarabanError(check.code, `The encryption certificate of "${to}" does not validate: ${check.reason}`, { field })
  return { to, profile, cert }
}

export interface SealedOuter {
  readonly letterRow: { id: string; senderAgency: string; letterJson: string; createdAt: number }
  readonly message: NewOutboxMessage
  readonly envelope: Buffer
}

/** Seals one outer envelope (cover or notice) for `t`; nothing stored yet. */
export async function sealOuter(deps: ClassifiedDeps, from: string, t: OuterTarget, content: { cover: object; inner?: Buffer | undefined } | { notice: object }, urgency: Urgency, deadlineAt?: number): Promise<SealedOuter> {
  const agency = deps.hosted.get(from)
  if (!agency) throw new SarabanError('ERR_SENDER_NOT_HOSTED', `This node does not host agency "${from}".`, { field: '/from' })
  const now = deps.clock.now()
  await requireOwnSigner(deps.anchors, from, agency.signer.chain, now) // issue 17 item 4: ERR_SIGNING_CERT_REVOKED
  const messageId = randomUUID()
  // PROTOCOL.md §19.3, §20.5: the outer envelope carries the sender's latest log checkpoint like any envelope.
  const common = { messageId, from, to: t.to, sentAt: isoTime(now), letter: {}, signer: agency.signer, recipientCert: t.cert, checkpoint: deps.checkpoint?.(from) }
  const sealed = 'cover' in content
    ? await t.profile.seal({ ...common, attachments: content.inner ? [content.inner] : [], classified: content.cover })
    : await t.profile.seal({ ...common, attachments: [], notice: content.notice })
  const letterId = randomUUID()
  return {
    letterRow: { id: letterId, senderAgency: from, letterJson: JSON.stringify('cover' in content ? content.cover : content.notice), createdAt: now },
    message: {
      messageId, letterId, recipientAgency: t.to, profile: t.profile.id, envelope: sealed.envelope, envelopeSha256: sealed.envelopeSha256,
      contentKey: sealed.contentKey, priority: urgencyPriority(urgency), nextAttemptAt: now, ...(deadlineAt !== undefined ? { deadlineAt } : {}),
    },
    envelope: sealed.envelope,
  }
}

/** Inside db.write(): the outbox rows of a sealed outer envelope, of the classified path. */
export function queueOuter(deps: ClassifiedDeps, s: SealedOuter): void {
  deps.outbox.insertLetter(s.letterRow, [s.message])
  deps.store.markLetterRowClassified(s.letterRow.id)
  deps.store.markOutbox(s.message.messageId)
}
