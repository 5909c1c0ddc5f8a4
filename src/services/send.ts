// Send use case (PROTOCOL.md §7, §17): validate, build the attachment manifest, seal the letter for
// all recipients of each envelope profile at once (sealMany: sign once, encrypt the content once,
// wrap the content key per recipient certificate from the directory, where the profile can), and
// store the letter with its shared contents and all its outbox messages in one transaction before
// answering. The shared content is stored and cached once per letter and profile, not per recipient.
// A profile without sealMany seals per recipient (sealEach): past a byte budget those envelopes are
// stored in batches ahead of that transaction (send-batches.ts), which adopts them all or nothing,
// so a circular's memory does not grow with its recipients (issue 5 §4). Attachments spooled to files
// by a multipart upload (issue 16 item 2) are sealed from the files, one envelope per addressee where
// the profile can, into files and then staged the same way (uploads/seal-from-files.ts): the letter's
// memory does not grow with its attachments either (PROTOCOL.md implementation notes "Multipart uploads").
import { createHash, randomUUID } from 'node:crypto'
import { SarabanError, type ErrorCode, type FieldProblem } from '../errors.js'
import { isoTime, type Clock } from '../clock.js'
import type { Logger } from '../log.js'
import type { Db } from '../storage/db.js'
import type { OutboxStore, NewOutboxMessage, NewOutboxContent } from '../storage/outbox.js'
import type { TrustAnchors } from '../pki/validate.js'
import type { Directory } from '../pki/directory.js'
import { sealEach, sealsMany, sealsOneTo, type EnvelopeProfile, type ProfileTable, type SealRecipient, type SealedPart } from '../crypto/profiles.js'
import { CHUNK_BYTES } from '../storage/blob-chunks.js'
import type { SpooledFile } from './uploads/spool.js'
import { removeSealed, sealingDir, sealToFiles, stageSealed, type SealJob } from './uploads/seal-from-files.js'
import { readFileSync } from 'node:fs'
import type { X509Certificate } from 'node:crypto'
import { validate, schemaIds } from '../schema/index.js'
import type { Letter, LetterDraft } from '../domain/letter.js'
import { urgencyPriority } from '../domain/urgency.js'
import type { HostedAgencies } from './hosting/agencies.js'
import type { EnvelopeCache } from './envelope-cache.js'
import type { Timestamping, StampSubject } from './timestamping.js'
import type { Registers } from './registers.js'
import { EnvelopeBatches } from './send-batches.js'
import { letterFingerprint, sameRequest } from './idempotency/fingerprint.js'
import type { InFlight } from './idempotency/in-flight.js'
import { requireOwnSigner } from './expiry/own-signer.js'

export interface SendDeps {
  readonly clock: Clock
  readonly log: Logger
  readonly db: Db
  readonly outbox: OutboxStore
  readonly anchors: TrustAnchors
  readonly directory: () => Directory
  readonly profiles: ProfileTable
  readonly hosted: HostedAgencies
  readonly onQueued: () => void
  readonly envelopes: EnvelopeCache
  /** Throws ERR_DIRECTORY_STALE when new letters must be refused (PROTOCOL.md §14.4). */
  readonly requireFreshDirectory?: () => void
  /** RFC 3161 stamps of each letter signature (PROTOCOL.md §13.4); absent or off: none. */
  readonly timestamps?: Timestamping
  /** The sender's send (or circular) register gets its entry in the letter's transaction (README "Registers"). */
  readonly registers?: Pick<Registers, 'recordSent' | 'ownerCode' | 'nextOutgoing' | 'numbering' | 'checkLetterNumber'>
  /** False for a sent letter that took no effect (rejected, withdrawn or cancelled for every addressee):
   *  its ที่ may be used again (issue 20 §11). Default: every letter stands. */
  readonly letterStands?: (letterId: string) => boolean
  /** PROTOCOL.md §19.8: a labelled CONFIDENTIAL/SECRET plaintext send that the agency's switch allowed,
   *  recorded in its classified access record inside the letter's transaction. */
  readonly recordPlaintext?: (e: { agency: string; letterId: string; apiKey?: string | undefined }) => void
  /** Bytes of per-recipient envelopes held before they are stored in a batch (default SEAL_BATCH_BYTES). */
  readonly sealBatchBytes?: number
  /** The sender agency's latest log checkpoint, signed into every envelope (PROTOCOL.md §20.5). */
  readonly checkpoint?: (agency: string) => string | undefined
  /** Idempotency-Keys whose request is still being sealed (README "Idempotency-Key"): a retry meanwhile is 409. */
  readonly inFlight?: InFlight
}

export interface SendRequest {
  readonly body: { letter: LetterDraft; attachments?: Array<{ filename: string; mediaType: string; content: string }> }
  /** SHA-256 of the request's bytes: compared only with letters stored before migration 028, which have
   *  no fingerprint (README "Idempotency-Key"). */
  readonly requestSha256?: string | undefined
  readonly idempotencyKey?: string | undefined
  /** Agencies the caller's API key may act for. */
  readonly allowedAgencies: readonly string[]
  /** The API key's name, for the access record of a labelled classified plaintext send (§19.8). */
  readonly apiKey?: string | undefined
  /** Attachment contents the body parser already decoded: content === sentinel means bytes.get(i), or
   *  files.get(i): a file spooled while it was uploaded (multipart, services/uploads/), sealed from the
   *  file straight into chunk rows (issue 16 item 2). The caller removes the files afterwards. */
  readonly decoded?: { readonly sentinel: string; readonly bytes: ReadonlyMap<number, Buffer>; readonly files?: ReadonlyMap<number, SpooledFile> }
  /** Stored in the letter's own transaction, e.g. the e-CMS gateway's record of a letter it took in
   *  (migration 020), so the letter is never stored without it. Synchronous. */
  readonly alsoStore?: (letterId: string, at: number) => void
}

export interface SendResult {
  readonly letterId: string
  readonly replayed: boolean
}

/** Strict standard base64 (RFC 4648 §4) without a regular expression over megabytes: Node's decoder
 *  skips characters outside the alphabet, so a decoded length short of 3/4 of the text means some were. */
function decodeAttachment(content: string, i: number): Buffer {
  const bytes = Buffer.from(content, 'base64')
  const pad = content.endsWith('==') ? 2 : content.endsWith('=') ? 1 : 0
  if (content.length % 4 !== 0 || bytes.length !== (content.length / 4) * 3 - pad || content.includes('-') || content.includes('_')) {
    throw new SarabanError('ERR_REQUEST_INVALID', 'Attachment content must be standard base64 (RFC 4648 §4), without line breaks.', { field: `/attachments/${i}/content` })
  }
  return bytes
}

function senderAgency(draft: LetterDraft, req: SendRequest, hosted: HostedAgencies): string {
  const named = draft.sender?.agency
  const hostedAllowed = req.allowedAgencies.filter((a) => hosted.has(a))
  const agency = named ?? (hostedAllowed.length === 1 ? hostedAllowed[0] : undefined)
  if (!agency) {
    throw new SarabanError('ERR_REQUEST_INVALID', 'Name the sending agency in letter.sender.agency; this API key acts for several.', { field: '/letter/sender/agency' })
  }
  if (!hosted.has(agency)) throw new SarabanError('ERR_SENDER_NOT_HOSTED', `This node does not host agency "${agency}".`, { field: '/letter/sender/agency' })
  if (!req.allowedAgencies.includes(agency)) throw new SarabanError('ERR_FORBIDDEN', `This API key may not send for "${agency}".`, { field: '/letter/sender/agency' })
  return agency
}

/** PROTOCOL.md §19.8 per level; true when a classified plaintext send goes ahead under the switch. */
export function checkSecrecy(secrecy: string, allowPlaintext: boolean): boolean {
  if (secrecy === 'TOP_SECRET') {
    throw new SarabanError('ERR_TOP_SECRET_NOT_ELECTRONIC', 'A TOP_SECRET letter is not sent electronically: carry it by hand and record the dispatch with POST /api/v1/classified/by-hand.', { field: '/letter/secrecy' })
  }
  if (secrecy !== 'CONFIDENTIAL' && secrecy !== 'SECRET') return false
  if (!allowPlaintext) {
    throw new SarabanError('ERR_CLASSIFIED_PLAINTEXT', `A ${secrecy} letter may not be sent in plaintext: have an officer seal it (saraban-node classified seal) and submit it to POST /api/v1/classified.`, { field: '/letter/secrecy' })
  }
  return true
}

/** Every agency a letter is delivered to (PROTOCOL.md §17.3): `recipients` then `copyTo` (สำเนาส่ง),
 *  each with the request field that names it. A copy is addressed and delivered like a recipient:
 *  its own message, receipt, status and evidence. */
export function addresseesOf(letter: Pick<Letter, 'recipients' | 'copyTo'>): Array<{ agency: string; field: string }> {
  return [
    ...letter.recipients.map((r, i) => ({ agency: r.agency, field: `/letter/recipients/${i}/agency` })),
    ...(letter.copyTo ?? []).map((c, i) => ({ agency: c.agency, field: `/letter/copyTo/${i}/agency` })),
  ]
}

/** An attachment in memory (`bytes`), or spooled to a file (`file`) and read while it is sealed. */
type DecodedFile = { filename: string; mediaType: string; size: number; sha256: string } & ({ bytes: Buffer; file?: undefined } | { bytes?: undefined; file: SpooledFile })

/** README "Idempotency-Key" (draft-ietf-httpapi-idempotency-key-header): the letter an earlier request
 *  with this key stored, when it meant the same (a replay); another meaning is ERR_IDEMPOTENCY_KEY_REUSED. */
function replayOf(deps: SendDeps, from: string, req: SendRequest, fingerprint: string): SendResult | undefined {
  if (!req.idempotencyKey) return undefined
  const prior = deps.outbox.findByIdempotencyKey(from, req.idempotencyKey)
  if (!prior) return undefined
  if (!sameRequest(prior, fingerprint, req.requestSha256)) {
    throw new SarabanError('ERR_IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${req.idempotencyKey}" was used for letter ${prior.id}, which says something else; use a new key for a new letter.`, { field: 'Idempotency-Key' })
  }
  return { letterId: prior.id, replayed: true }
}

export async function sendLetter(deps: SendDeps, req: SendRequest): Promise<SendResult> {
  const draft = req.body.letter
  const from = senderAgency(draft, req, deps.hosted)
  const files: DecodedFile[] = (req.body.attachments ?? []).map((a, i) => {
    const spooled = req.decoded && a.content === req.decoded.sentinel ? req.decoded.files?.get(i) : undefined
    if (spooled) return { filename: a.filename, mediaType: a.mediaType, file: spooled, size: spooled.size, sha256: spooled.sha256 }
    const pre = req.decoded && a.content === req.decoded.sentinel ? req.decoded.bytes.get(i) : undefined
    const bytes = pre ?? decodeAttachment(a.content, i)
    return { filename: a.filename, mediaType: a.mediaType, bytes, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }
  })
  const fingerprint = letterFingerprint(draft, files)
  const replay = replayOf(deps, from, req, fingerprint)
  if (replay) return replay
  const release = req.idempotencyKey ? deps.inFlight?.take(from, req.idempotencyKey) : undefined
  try {
    const registers = deps.registers
    if (draft.number !== undefined || registers?.ownerCode(from) === undefined) return await sendNew(deps, req, from, files, fingerprint, false)
    // README "Registers": a letter without ที่ from an agency with an owner code gets the next number of
    // its send book, signed into the letter. One such letter at a time per agency; a number taken
    // meanwhile elsewhere (POST /api/v1/registers/send/numbers, another process) means sealing again.
    return await registers.numbering(from, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await sendNew(deps, req, from, files, fingerprint, true)
        } catch (err) {
          if (attempt >= 3 || !(err instanceof SarabanError && err.code === 'ERR_REGISTER_NUMBER_TAKEN')) throw err
        }
      }
    })
  } finally {
    release?.()
  }
}

async function sendNew(deps: SendDeps, req: SendRequest, from: string, files: DecodedFile[], fingerprint: string, numberIt: boolean): Promise<SendResult> {
  const draft = req.body.letter
  deps.requireFreshDirectory?.()
  const directory = deps.directory()
  // PROTOCOL.md §1.4, §16.3: peers would refuse a letter from an agency the directory does not list as active.
  const own = directory.agency(from)
  if (!own) throw new SarabanError('ERR_UNKNOWN_AGENCY', `Agency "${from}" is not in the federation directory, so peers would refuse its letters.`, { field: '/letter/sender/agency' })
  if (own.status !== 'active') throw new SarabanError('ERR_AGENCY_SUSPENDED', `Agency "${from}" is ${own.status} in the federation directory and may not send letters.`, { field: '/letter/sender/agency' })
  const now = deps.clock.now()
  const letter = validate<Letter>(
    schemaIds.letter,
    {
      ...draft,
      // The printed agency name defaults to the directory's Thai name (PROTOCOL.md §1.4).
      sender: { ...draft.sender, name: draft.sender?.name ?? directory.agency(from)?.nameTh ?? from, agency: from },
      attachments: files.map((f, i) => ({
        id: `a${i + 1}`,
        filename: f.filename,
        mediaType: f.mediaType,
        size: f.size,
        sha256: f.sha256,
      })),
    },
    'ERR_LETTER_INVALID',
    '/letter',
  )

  const numbered = numberIt ? deps.registers?.nextOutgoing(from, now) : undefined
  if (numbered) (letter as { number?: string }).number = numbered.letterNumber
  // Issue 20 §11: a ที่ used this year is refused before anything is sealed (recordSent checks again).
  else if (letter.number !== undefined) deps.registers?.checkLetterNumber(from, letter.number, now, deps.letterStands)

  // PROTOCOL.md §19.8: the node does not hold classified plaintext. TOP_SECRET never travels here;
  // CONFIDENTIAL and SECRET only when the agency switched the old labelled behaviour on.
  const plaintextAllowed = checkSecrecy(letter.secrecy, deps.hosted.get(from)?.allowClassifiedPlaintext === true)

  // Every addressee is checked before anything is sealed, and every problem is reported at once.
  const problems: Array<FieldProblem & { code: ErrorCode }> = []
  const targets = addresseesOf(letter).map((r) => {
    const field = r.field
    const refuse = (code: ErrorCode, message: string) => (problems.push({ field, message, code }), undefined)
    const entry = directory.agency(r.agency)
    if (!entry) return refuse('ERR_UNKNOWN_AGENCY', `agency "${r.agency}" is not in the federation directory`)
    if (entry.status !== 'active') return refuse('ERR_AGENCY_SUSPENDED', `agency "${r.agency}" is ${entry.status} in the federation directory`)
    const profile = deps.profiles.choose(entry.profiles)
    if (!profile) return refuse('ERR_NO_COMMON_PROFILE', `agency "${r.agency}" accepts none of this node's envelope profiles (${deps.profiles.ids().join(', ')})`)
    const cert = directory.encryptionCertFor(r.agency, new Date(now))
    if (!cert) return refuse('ERR_RECIPIENT_CERT_INVALID', `agency "${r.agency}" has no encryption certificate valid now in the directory`)
    return { agency: r.agency, profile, cert }
  })
  if (problems.length > 0) {
    throw new SarabanError(problems[0]!.code, problems.map((p) => p.message).join('; '), {
      errors: problems.map(({ field, message }) => ({ field, message })),
    })
  }
  // A circular names many agencies that may share a certificate (hosting): validate each certificate once.
  const validated = new Set<X509Certificate>()
  for (const t of targets) {
    if (validated.has(t!.cert)) continue
    const check = await deps.anchors.validate([t!.cert], { at: new Date(now), role: 'encryption', code: 'ERR_RECIPIENT_CERT_INVALID' })
    if (!check.ok) throw new SarabanError(check.code, `The encryption certificate of "${t!.agency}" does not validate: ${check.reason}`)
    validated.add(t!.cert)
  }
  // PROTOCOL.md §15.2: a node does not seal with a signing certificate that is revoked or expired.
  const signer = deps.hosted.get(from)!.signer
  await requireOwnSigner(deps.anchors, from, signer.chain, now) // issue 17 item 4: ERR_SIGNING_CERT_REVOKED

  const letterId = randomUUID()
  const sentAt = isoTime(now)
  // Issue 16 item 2: spooled attachments of more than a chunk are sealed from their files straight into
  // chunk rows (sealStreamed below); smaller ones, and a group a profile cannot stream, from memory.
  const streamed = files.some((f) => f.file !== undefined) && files.reduce((n, f) => n + f.size, 0) > CHUNK_BYTES
  let held: Buffer[] | undefined
  const inMemory = (): Buffer[] => (held ??= files.map((f) => f.bytes ?? readFileSync(f.file!.path)))
  const toStream: SealJob[] = []
  const streamedIds = new Set<string>()
  const messages: NewOutboxMessage[] = []
  const contents: NewOutboxContent[] = []
  const stamps: StampSubject[] = []
  const priority = urgencyPriority(letter.urgency)
  const deadlineAt = letter.deliverBy === undefined ? undefined : Date.parse(letter.deliverBy)
  // One seal per profile group (PROTOCOL.md §17); addressees keep their order: recipients, then copyTo.
  const ids = targets.map(() => randomUUID())
  const groups = new Map<EnvelopeProfile, SealRecipient[]>()
  targets.forEach((t, i) => {
    const g = groups.get(t!.profile) ?? []
    g.push({ messageId: ids[i]!, to: t!.agency, cert: t!.cert })
    groups.set(t!.profile, g)
  })
  const byMessage = new Map<string, NewOutboxMessage>()
  const batches = new EnvelopeBatches(deps, letterId, deps.sealBatchBytes)
  const row = (profile: EnvelopeProfile, part: SealedPart, contentRef: string | undefined): NewOutboxMessage => {
    stamps.push({ messageId: part.messageId, side: 'outbox', kind: 'letter', signature: part.signature })
    const m: NewOutboxMessage = {
      messageId: part.messageId,
      letterId,
      recipientAgency: part.to,
      profile: profile.id,
      envelope: part.head,
      ...(part.tail.length > 0 ? { tail: part.tail } : {}),
      ...(contentRef !== undefined ? { contentRef } : {}),
      envelopeSha256: part.envelopeSha256,
      contentKey: part.contentKey,
      priority,
      nextAttemptAt: now,
      ...(deadlineAt !== undefined ? { deadlineAt } : {}),
    }
    byMessage.set(part.messageId, m)
    return m
  }
  const letterRow = {
    id: letterId,
    senderAgency: from,
    letterJson: JSON.stringify(letter),
    createdAt: now,
    ...(req.idempotencyKey ? { idempotencyKey: req.idempotencyKey, requestFingerprint: fingerprint, ...(req.requestSha256 ? { requestSha256: req.requestSha256 } : {}) } : {}),
  }
  let contentIds: Map<string, number>
  try {
    for (const [profile, recipients] of groups) {
      if (streamed && sealsOneTo(profile) && (!sealsMany(profile) || recipients.length === 1)) {
        for (const recipient of recipients) toStream.push({ profile, recipient })
        continue
      }
      const input = { letterId, from, sentAt, letter, attachments: inMemory(), signer, recipients, checkpoint: deps.checkpoint?.(from) }
      if (sealsMany(profile)) {
        const sealed = await profile.sealMany(input)
        const contentRef = sealed.shared.length > 0 ? profile.id : undefined
        if (contentRef !== undefined) contents.push({ ref: contentRef, profile: profile.id, bytes: sealed.shared })
        for (const part of sealed.parts) row(profile, part, contentRef)
      } else {
        for await (const part of sealEach(profile, input)) await batches.add(row(profile, part, undefined))
      }
    }
    await batches.finish()
    held = undefined
    if (toStream.length > 0) {
      // Issue 16 item 2: sealed from the files into files, then staged in chunk rows, 16 MiB per commit;
      // the letter's transaction below adopts them all, or nothing is stored (catch below).
      const sealed = sealToFiles(toStream, { letterId, from, sentAt, letter, signer, checkpoint: deps.checkpoint?.(from) }, files, sealingDir(files)!)
      try {
        for (const s of sealed) {
          streamedIds.add(s.part.messageId)
          batches.stagedApart()
          const m = row(s.profile, s.part, undefined)
          m.contentId = await stageSealed(deps.db, deps.outbox, letterId, s)
          m.envelope = Buffer.alloc(0)
        }
      } finally {
        removeSealed(sealed)
      }
    }
    for (const id of ids) messages.push(byMessage.get(id)!)
    contentIds = await deps.db.write(() => {
      const contentIdsByRef = deps.outbox.insertLetter(letterRow, messages, contents, batches.staged)
      deps.registers?.recordSent({ agency: from, letterId, at: now, letter, stands: deps.letterStands, ...(numbered ? { book: numbered.book, number: numbered.number } : {}) })
      if (plaintextAllowed) deps.recordPlaintext?.({ agency: from, letterId, apiKey: req.apiKey })
      req.alsoStore?.(letterId, now)
      deps.timestamps?.record(stamps)
      return contentIdsByRef
    })
  } catch (err) {
    // Nothing of this letter is stored: not the envelopes stored ahead of it either.
    await batches.discard()
    // A request with the same Idempotency-Key in another process won the insert: answer as its replay.
    const replay = replayOf(deps, from, req, fingerprint)
    if (replay) return replay
    throw err
  }
  for (const c of contents) deps.envelopes.putContent(contentIds.get(c.ref)!, c.bytes)
  for (const m of messages) {
    if (streamedIds.has(m.messageId)) continue // in chunk rows only: the delivery reads them as it sends
    const contentId = m.contentId ?? (m.contentRef === undefined ? null : contentIds.get(m.contentRef)!)
    deps.envelopes.putParts(m.messageId, { head: m.envelope, contentId, tail: m.tail ?? Buffer.alloc(0) })
  }
  deps.log.info({ event: 'letter.queued', letterId, from, recipients: messages.length, ...(batches.staged > 0 ? { sealedAhead: batches.staged, batches: batches.batches } : {}) }, 'letter sealed and queued')
  deps.onQueued()
  return { letterId, replayed: false }
}
