// The conformance cases, one row each (the model: services/receive/steps.ts): an id that PROTOCOL.md
// Annex A lists (a test keeps the two in step), the § it checks, a title, and the run. A case that
// names `profiles` runs once per profile the target lists in the directory (and the kit can seal).
// Each case asserts the exact status and code that PROTOCOL.md §9 gives.
import { randomBytes, randomUUID } from 'node:crypto'
import { CaseFailure, check, expectProblem, expectStatus, skip } from './expect.js'
import { sha256Hex, type Answer, type Sealed, type Session } from './session.js'
import { TAMPER } from './tamper.js'
import type { ExtraName } from './credentials.js'
import { peerSpeaksFor, type Delivery } from './listen.js'
import { SERVER_CERT_CHECKS, serverHello } from './server-cert.js'
import { RECEIPT_CASES } from './receipt-cases.js'
import { sendLetterVia } from './target-api.js'
import { deliver, essence, expectReceipt } from './delivered.js'
import { LOG_CASES } from './log-cases.js'

export interface ConformanceCase {
  readonly id: string
  readonly section: string
  readonly title: string
  /** what the target must answer (PROTOCOL.md §9), as Annex A shows it */
  readonly answer: string
  /** 'all': once per profile of the target; a list: once per listed profile the target has */
  readonly profiles?: 'all' | readonly string[]
  run(k: Session, profile: string): Promise<void>
}

const ALL = 'all' as const
const MANY = ['jose-v2', 'cms-v1'] as const // profiles that sign once for many (§17.1)

const askedFor = new WeakSet<Session>()

/** The target's first letter to the kit's agency (--listen), or a skip without --listen. With
 *  --target-api the kit has the target send it, once, when none has come yet. */
async function fromTarget(k: Session): Promise<Delivery> {
  if (k.listener === undefined) skip('needs --listen (and a letter from the target to the kit\'s agency)')
  if (k.targetApi !== undefined && !k.listener.hasOrdinary() && !askedFor.has(k)) {
    askedFor.add(k)
    await sendLetterVia(k.targetApi, k.me.agency, 'conformance kit: a letter to the kit (§3.1, §4.1, §4.2, §7.2)')
  }
  return k.listener.delivered(k.listenWaitMs)
}

function second(k: Session) {
  return k.creds.second ?? skip(`no second agency in the credentials (second/ and "second" in kit.json)`)
}

function extra(k: Session, name: ExtraName) {
  return k.creds.extra[name] ?? skip(`no extra/${name}.{key,chain}.pem in the credentials`)
}

/** The first profile of the target, for cases whose profile does not matter. */
function firstProfile(k: Session): string {
  return k.targetProfiles()[0] ?? skip('the target lists no profile the kit can seal')
}

function notice(type: string, s: Pick<Sealed, 'messageId' | 'sha256'>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type, messageId: s.messageId, envelopeSha256: s.sha256, at: new Date().toISOString(), ...extra }
}

export const CASES: readonly ConformanceCase[] = [
  // §3.1 The target's server certificate, as a sender checks it (server-cert.ts)
  { id: 'C-3.1-02', section: '§3.1', title: 'the target\'s server certificate chains to the federation root, names its host and is the one the directory lists at its endpoint', answer: 'TLS 1.3, the certificate the directory pins',
    run: async (k) => {
      const h = await serverHello(k)
      for (const c of SERVER_CERT_CHECKS) {
        const wrong = await c.check(k, h)
        if (wrong !== undefined) throw new CaseFailure(`${c.rule}: ${wrong}`, { subject: h.chain[0]?.subject ?? '(none)', origin: k.origin })
      }
    } },

  // §3.2 Identifying the peer
  { id: 'C-3.2-01', section: '§3.2', title: 'a request without a client certificate is refused', answer: '401 ERR_TLS_CLIENT_CERT_REQUIRED',
    run: async (k) => { const s = await k.seal(firstProfile(k)); expectProblem(await k.send(s, { identity: 'none' }), 401, 'ERR_TLS_CLIENT_CERT_REQUIRED') } },
  { id: 'C-3.2-02', section: '§3.2', title: 'a client certificate of another CA is refused', answer: '401 ERR_TLS_CLIENT_CERT_UNTRUSTED',
    run: async (k) => { const s = await k.seal(firstProfile(k)); expectProblem(await k.send(s, { identity: extra(k, 'foreign-tls') }), 401, 'ERR_TLS_CLIENT_CERT_UNTRUSTED') } },
  { id: 'C-3.2-03', section: '§3.2', title: 'an expired client certificate is refused', answer: '403 ERR_CERT_EXPIRED',
    run: async (k) => { const s = await k.seal(firstProfile(k)); expectProblem(await k.send(s, { identity: extra(k, 'expired-tls') }), 403, 'ERR_CERT_EXPIRED') } },
  { id: 'C-3.2-04', section: '§3.2', title: 'a revoked client certificate is refused', answer: '403 ERR_CERT_REVOKED',
    run: async (k) => { const s = await k.seal(firstProfile(k)); expectProblem(await k.send(s, { identity: extra(k, 'revoked-tls') }), 403, 'ERR_CERT_REVOKED') } },

  // §4.1, §4.3, §4.4 The endpoint
  { id: 'C-4.1-01', section: '§4.1', title: 'routing headers that name another message id than the envelope are refused', answer: '400 ERR_ENVELOPE_HEADER_MISMATCH', profiles: ALL,
    run: async (k, p) => { const s = await k.seal(p); expectProblem(await k.send(s, { routing: { ...k.routingOf(s), messageId: randomUUID() } }), 400, 'ERR_ENVELOPE_HEADER_MISMATCH') } },
  { id: 'C-4.1-02', section: '§4.1', title: 'two of the three routing headers are refused', answer: '400 ERR_ENVELOPE_MALFORMED', profiles: ALL,
    run: async (k, p) => { const s = await k.seal(p); expectProblem(await k.send(s, { routing: { messageId: s.messageId, from: s.from } }), 400, 'ERR_ENVELOPE_MALFORMED') } },
  { id: 'C-4.3-01', section: '§4.3', title: 'health answers 200 {"status":"ok"} to an identified peer', answer: '200 {"status":"ok"}',
    run: async (k) => {
      const a = await k.post({ method: 'GET', path: '/federation/v1/health', body: Buffer.alloc(0), contentType: '' })
      expectStatus(a, 200, 'health')
      check(JSON.parse(a.body.toString()).status === 'ok', 'the body is {"status":"ok"}', { got: a.body.toString() })
    } },
  { id: 'C-4.4-01', section: '§4.4', title: 'a body larger than the receiver accepts is refused before it is read', answer: '413 ERR_PAYLOAD_TOO_LARGE',
    run: async (k) => expectProblem(await k.postDeclaredLength(k.profiles.get(firstProfile(k)).mediaType, 2 ** 40), 413, 'ERR_PAYLOAD_TOO_LARGE') },
  { id: 'C-4.4-02', section: '§4.4', title: 'an unknown path is 404 problem+json', answer: '404 ERR_NOT_FOUND',
    run: async (k) => expectProblem(await k.post({ method: 'GET', path: '/federation/v1/no-such-resource', body: Buffer.alloc(0), contentType: '' }), 404, 'ERR_NOT_FOUND') },
  { id: 'C-4.4-03', section: '§4.4', title: 'GET on the messages endpoint is 405 problem+json', answer: '405 ERR_METHOD_NOT_ALLOWED',
    run: async (k) => expectProblem(await k.post({ method: 'GET', path: '/federation/v1/messages', body: Buffer.alloc(0), contentType: '' }), 405, 'ERR_METHOD_NOT_ALLOWED') },

  // §4.2 Receiver checks, in their order
  { id: 'C-4.2-01', section: '§4.2', title: 'a media type that is no envelope profile is refused (check 1)', answer: '415 ERR_UNSUPPORTED_MEDIA_TYPE',
    run: async (k) => { const s = await k.seal(firstProfile(k)); expectProblem(await k.send(s, { contentType: 'application/json' }), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE') } },
  { id: 'C-4.2-02', section: '§4.2', title: 'an empty body is refused (check 2)', answer: '400 ERR_ENVELOPE_MALFORMED', profiles: ALL,
    run: async (k, p) => { const s = await k.seal(p); expectProblem(await k.send({ ...s, body: Buffer.alloc(0) }), 400, 'ERR_ENVELOPE_MALFORMED') } },
  { id: 'C-4.2-03', section: '§4.2', title: 'bytes that are not an envelope are refused (check 3)', answer: '400 ERR_ENVELOPE_MALFORMED', profiles: ALL,
    run: async (k, p) => { const s = await k.seal(p); expectProblem(await k.send({ ...s, body: Buffer.from('hello.world') }), 400, 'ERR_ENVELOPE_MALFORMED') } },
  { id: 'C-4.2-04', section: '§4.2', title: 'an envelope for an agency the target does not host is refused (check 4)', answer: '421 ERR_RECIPIENT_NOT_HOSTED', profiles: ALL,
    run: async (k, p) => { const to = second(k).agency; expectProblem(await k.send(await k.seal(p, { to })), 421, 'ERR_RECIPIENT_NOT_HOSTED') } },
  { id: 'C-4.2-05', section: '§4.2', title: 'a sender that is not in the directory is refused (check 5)', answer: '422 ERR_UNKNOWN_AGENCY', profiles: ALL,
    run: async (k, p) => { const s = await k.seal(p, { from: 'no-such-agency', signer: k.signerOf(k.me.signing, 'no-such-agency') }); expectProblem(await k.send(s), 422, 'ERR_UNKNOWN_AGENCY') } },
  { id: 'C-4.2-06', section: '§4.2', title: 'a TLS peer that is not the envelope\'s sender is refused (check 6: impersonation)', answer: '403 ERR_SENDER_MISMATCH', profiles: ALL,
    run: async (k, p) => { const s = await k.seal(p); expectProblem(await k.send(s, { identity: second(k).tls }), 403, 'ERR_SENDER_MISMATCH') } },
  { id: 'C-4.2-07', section: '§4.2', title: 'an envelope encrypted for another key is refused (check 8)', answer: '400 ERR_DECRYPT_FAILED', profiles: ALL,
    run: async (k, p) => { const s = await k.seal(p, { encryptFor: k.me.encryption.chain[0]! }); expectProblem(await k.send(s), 400, 'ERR_DECRYPT_FAILED') } },
  { id: 'C-4.2-08', section: '§4.2', title: 'a tampered ciphertext is refused (check 8)', answer: '400 ERR_DECRYPT_FAILED', profiles: ALL,
    run: async (k, p) => { const s = await k.seal(p); expectProblem(await k.send({ ...s, body: TAMPER[p]!.ciphertext(s.body, s.profile) }), 400, 'ERR_DECRYPT_FAILED') } },
  { id: 'C-4.2-09', section: '§4.2', title: 'a tampered authentication tag is refused (check 8)', answer: '400 ERR_DECRYPT_FAILED', profiles: ALL,
    run: async (k, p) => { const s = await k.seal(p); expectProblem(await k.send({ ...s, body: TAMPER[p]!.tag(s.body) }), 400, 'ERR_DECRYPT_FAILED') } },
  { id: 'C-4.2-10', section: '§4.2', title: 'a tampered protected header (the AAD) is refused (check 8)', answer: '400 ERR_DECRYPT_FAILED', profiles: ['jose-v1', 'jose-v2'],
    run: async (k, p) => { const s = await k.seal(p); expectProblem(await k.send({ ...s, body: TAMPER[p]!.header!(s.body) }), 400, 'ERR_DECRYPT_FAILED') } },
  { id: 'C-4.2-11', section: '§4.2', title: 'a letter signed by another agency\'s key is refused (check 13)', answer: '403 ERR_SIGNER_UNTRUSTED', profiles: ALL,
    run: async (k, p) => { const s = await k.seal(p, { signer: k.signerOf(second(k).signing) }); expectProblem(await k.send(s), 403, 'ERR_SIGNER_UNTRUSTED') } },
  { id: 'C-4.2-12', section: '§4.2', title: 'a letter signed with an expired certificate is refused (check 13)', answer: '403 ERR_CERT_EXPIRED', profiles: ALL,
    run: async (k, p) => { const s = await k.seal(p, { signer: k.signerOf(extra(k, 'expired-signing')) }); expectProblem(await k.send(s), 403, 'ERR_CERT_EXPIRED') } },
  { id: 'C-4.2-13', section: '§4.2', title: 'a letter signed with a revoked certificate is refused (check 13)', answer: '403 ERR_CERT_REVOKED', profiles: ALL,
    run: async (k, p) => { const s = await k.seal(p, { signer: k.signerOf(extra(k, 'revoked-signing')) }); expectProblem(await k.send(s), 403, 'ERR_CERT_REVOKED') } },
  { id: 'C-4.2-14', section: '§4.2', title: 'a letter that fails the letter schema is refused (check 14)', answer: '422 ERR_LETTER_INVALID', profiles: ALL,
    run: async (k, p) => {
      const { subject: _drop, ...noSubject } = k.letter()
      expectProblem(await k.send(await k.seal(p, { letter: noSubject })), 422, 'ERR_LETTER_INVALID')
    } },
  { id: 'C-4.2-15', section: '§4.2', title: 'attachment bytes that do not match their signed SHA-256 are refused (check 12)', answer: '400 ERR_ATTACHMENT_DIGEST_MISMATCH', profiles: ALL,
    run: async (k, p) => {
      const signedBytes = Buffer.from('the signed attachment')
      const sent = Buffer.from('THE signed attachment') // same length: the framing holds, the digest does not
      const letter = k.letter(undefined, { attachments: [{ id: 'a1', filename: 'a.txt', mediaType: 'text/plain', size: signedBytes.length, sha256: sha256Hex(signedBytes) }] })
      expectProblem(await k.send(await k.seal(p, { letter, attachments: [sent] })), 400, 'ERR_ATTACHMENT_DIGEST_MISMATCH')
    } },

  // §5 jose-v1: pieces inside the encryption (craft.ts)
  { id: 'C-5.4-01', section: '§5.4', title: 'a signed payload with a member added is refused', answer: '400 ERR_ENVELOPE_MALFORMED', profiles: ['jose-v1'],
    run: async (k) => expectProblem(await k.send(k.craft({ payloadOver: { extra: true } })), 400, 'ERR_ENVELOPE_MALFORMED') },
  { id: 'C-5.4-02', section: '§5.4', title: 'a signed payload of an unknown version is refused', answer: '415 ERR_PROFILE_UNSUPPORTED', profiles: ['jose-v1'],
    run: async (k) => expectProblem(await k.send(k.craft({ payloadOver: { v: 3 } })), 415, 'ERR_PROFILE_UNSUPPORTED') },
  { id: 'C-5.8-01', section: '§5.8', title: 'a letter whose signature does not verify is refused', answer: '400 ERR_SIGNATURE_INVALID', profiles: ['jose-v1'],
    run: async (k) => expectProblem(await k.send(k.craft({ badSignature: true })), 400, 'ERR_SIGNATURE_INVALID') },
  { id: 'C-5.8-02', section: '§5.8', title: 'a signed recipient other than the envelope\'s srb_to is refused', answer: '400 ERR_ENVELOPE_HEADER_MISMATCH', profiles: ['jose-v1'],
    run: async (k) => expectProblem(await k.send(k.craft({ payloadOver: { to: second(k).agency } })), 400, 'ERR_ENVELOPE_HEADER_MISMATCH') },
  { id: 'C-5.8-03', section: '§5.8', title: 'a bundle without the line feed after the signed letter is refused', answer: '400 ERR_ENVELOPE_MALFORMED', profiles: ['jose-v1'],
    run: async (k) => expectProblem(await k.send(k.craft({ noLineFeed: true })), 400, 'ERR_ENVELOPE_MALFORMED') },
  { id: 'C-5.8-04', section: '§5.8', title: 'a JWE alg outside the allow-list is refused before decryption', answer: '415 ERR_PROFILE_UNSUPPORTED', profiles: ['jose-v1'],
    run: async (k) => expectProblem(await k.send(k.craft({ headerOver: { alg: 'dir' } })), 415, 'ERR_PROFILE_UNSUPPORTED') },

  // §6.3, §7.1 Receipts and idempotency
  { id: 'C-6.3-01', section: '§6.3', title: 'a valid letter is accepted with 201 and a receipt that verifies', answer: '201, receipt verifies', profiles: ALL,
    run: async (k, p) => { await deliver(k, p) } },
  { id: 'C-7.1-01', section: '§7.1', title: 'a replay is answered 200 with the original receipt, byte for byte', answer: '200, the same receipt', profiles: ALL,
    run: async (k, p) => {
      const { sealed, answer } = await deliver(k, p)
      const again = await k.send(sealed)
      expectStatus(again, 200, 'a replay')
      check(again.body.equals(answer.body), 'the receipt is the original, byte for byte', { first: sha256Hex(answer.body), replay: sha256Hex(again.body) })
    } },
  { id: 'C-7.1-02', section: '§7.1', title: 'the same message id with other bytes is refused', answer: '409 ERR_MESSAGE_ID_CONFLICT', profiles: ALL,
    run: async (k, p) => {
      const { sealed } = await deliver(k, p)
      expectProblem(await k.send(await k.seal(p, { messageId: sealed.messageId })), 409, 'ERR_MESSAGE_ID_CONFLICT')
    } },

  // §12 cms-v1
  { id: 'C-12.5-01', section: '§12.5', title: 'a cms-v1 envelope without routing headers is refused', answer: '400 ERR_ENVELOPE_MALFORMED', profiles: ['cms-v1'],
    run: async (k, p) => { const s = await k.seal(p); expectProblem(await k.post({ body: s.body, contentType: s.profile.mediaType }), 400, 'ERR_ENVELOPE_MALFORMED') } },

  // §17 Letters to many recipients
  { id: 'C-17.2-01', section: '§17.2', title: 'a letter signed once for two addressees (payload v2) is accepted with a receipt that verifies', answer: '201, receipt verifies', profiles: MANY,
    run: async (k, p) => {
      const s = await k.seal(p, { alsoTo: k.otherAgency() ?? skip('the directory lists no third agency') })
      const a = await k.send(s)
      expectStatus(a, 201, 'a v2 payload letter')
      await expectReceipt(k, s, a)
    } },
  { id: 'C-17.3-01', section: '§17.3', title: 'a jose-v2 header naming a message id the signed payload does not vouch for is refused', answer: '400 ERR_ENVELOPE_HEADER_MISMATCH', profiles: ['jose-v2'],
    run: async (k, p) => {
      const s = await k.seal(p)
      const mid = randomUUID()
      const body = Buffer.from(s.body.toString('latin1').replace(`"srb_mid":"${s.messageId}"`, `"srb_mid":"${mid}"`), 'latin1')
      expectProblem(await k.send({ ...s, body, messageId: mid }), 400, 'ERR_ENVELOPE_HEADER_MISMATCH')
    } },
  { id: 'C-17.5-01', section: '§17.5', title: 'the same letter (lid) again under another message id is refused', answer: '409 ERR_LETTER_DUPLICATE', profiles: MANY,
    run: async (k, p) => {
      const alsoTo = k.otherAgency() ?? skip('the directory lists no third agency')
      const letterId = randomUUID()
      const first = await k.seal(p, { alsoTo, letterId })
      const a = await k.send(first)
      expectStatus(a, 201, 'the first delivery of the letter')
      expectProblem(await k.send(await k.seal(p, { alsoTo, letterId })), 409, 'ERR_LETTER_DUPLICATE')
    } },
  { id: 'C-17.8-01', section: '§17.8', title: 'a reference to shared content the target does not hold is refused with 412', answer: '412 ERR_SHARED_CONTENT_UNKNOWN', profiles: MANY,
    run: async (k, p) => {
      if (!k.sharedAnnounced) skip('the target did not announce Saraban-Shared-Content: 1 (§17.8)')
      const s = await k.seal(p, { alsoTo: k.otherAgency() ?? skip('the directory lists no third agency') })
      const { offset, length } = s.shared!
      const body = Buffer.concat([s.body.subarray(0, offset), s.body.subarray(offset + length)])
      const shared = s.body.subarray(offset, offset + length)
      const headers = { 'saraban-shared-sha256': sha256Hex(shared), 'saraban-shared-offset': String(offset), 'saraban-shared-length': String(length) }
      expectProblem(await k.send({ ...s, body }, { headers }), 412, 'ERR_SHARED_CONTENT_UNKNOWN')
    } },
  { id: 'C-17.8-02', section: '§17.8', title: 'a reference with one of its three headers missing is refused', answer: '400 ERR_ENVELOPE_MALFORMED', profiles: MANY,
    run: async (k, p) => {
      if (!k.sharedAnnounced) skip('the target did not announce Saraban-Shared-Content: 1 (§17.8)')
      const s = await k.seal(p)
      expectProblem(await k.send(s, { headers: { 'saraban-shared-sha256': sha256Hex(randomBytes(32)), 'saraban-shared-offset': '0' } }), 400, 'ERR_ENVELOPE_MALFORMED')
    } },

  // §18 Notices
  { id: 'C-18.5-01', section: '§18.5', title: 'a withdrawal of a delivered letter is accepted with a receipt that verifies', answer: '201, receipt verifies',
    run: async (k) => {
      const p = firstProfile(k)
      const { sealed } = await deliver(k, p)
      const n = await k.seal(p, { notice: notice('withdrawn', sealed, { reason: 'ส่งผิด (conformance kit)' }) })
      const a = await k.send(n)
      expectStatus(a, 201, 'a withdrawal notice')
      await expectReceipt(k, n, a)
    } },
  { id: 'C-18.5-02', section: '§18.5', title: 'a second withdrawal of the same letter is refused', answer: '409 ERR_NOTICE_CONFLICT',
    run: async (k) => {
      const p = firstProfile(k)
      const { sealed } = await deliver(k, p)
      const first = await k.send(await k.seal(p, { notice: notice('withdrawn', sealed, { reason: 'ครั้งแรก' }) }))
      if (first.status !== 201) expectProblem(first, 409, 'ERR_NOTICE_CONFLICT') // C-18.5-01 withdrew it already
      expectProblem(await k.send(await k.seal(p, { notice: notice('withdrawn', sealed, { reason: 'ครั้งที่สอง' }) })), 409, 'ERR_NOTICE_CONFLICT')
    } },
  { id: 'C-18.5-03', section: '§18.5', title: 'a notice about a message never exchanged is refused', answer: '422 ERR_NOTICE_UNKNOWN_MESSAGE',
    run: async (k) => {
      const p = firstProfile(k)
      const n = notice('withdrawn', { messageId: randomUUID(), sha256: sha256Hex(randomBytes(8)) }, { reason: 'ไม่มีหนังสือนี้' })
      expectProblem(await k.send(await k.seal(p, { notice: n })), 422, 'ERR_NOTICE_UNKNOWN_MESSAGE')
    } },
  { id: 'C-18.5-04', section: '§18.5', title: 'an acceptance sent by the letter\'s own sender is refused (the notice\'s direction)', answer: '422 ERR_NOTICE_UNKNOWN_MESSAGE',
    run: async (k) => {
      const p = firstProfile(k)
      const { sealed } = await deliver(k, p)
      const n = notice('accepted', sealed, { register: { book: 'receive', year: new Date().getUTCFullYear(), number: 1 } })
      expectProblem(await k.send(await k.seal(p, { notice: n })), 422, 'ERR_NOTICE_UNKNOWN_MESSAGE')
    } },
  { id: 'C-18.5-05', section: '§18.5', title: 'a notice that fails the notice schema is refused', answer: '422 ERR_NOTICE_INVALID',
    run: async (k) => {
      const p = firstProfile(k)
      const { sealed } = await deliver(k, p)
      expectProblem(await k.send(await k.seal(p, { notice: notice('withdrawn', sealed) })), 422, 'ERR_NOTICE_INVALID') // no reason
    } },

  // §20.5, §20.6 The target's transparency log, as a witness reads it (log-cases.ts)
  ...LOG_CASES,

  // The target as a sender (--listen): the kit answers the first attempt 503 ERR_BUSY, then a receipt
  { id: 'C-3.1-01', section: '§3.1', title: 'the target connects with TLS 1.3 and a client certificate the directory lists for it', answer: 'observed (--listen)',
    run: async (k) => {
      const d = await fromTarget(k)
      for (const a of d.attempts) {
        check(a.tlsVersion === 'TLSv1.3', 'TLS 1.3 only (§3.1)', { got: a.tlsVersion })
        check(peerSpeaksFor(k, a), `the client certificate is a tls certificate of "${k.target}" (or of a hosting node listing it) in the directory (§3.2)`)
      }
    } },
  { id: 'C-4.1-03', section: '§4.1', title: 'the target sends routing headers equal to the envelope (required for cms-v1)', answer: 'observed (--listen)',
    run: async (k) => {
      const d = await fromTarget(k)
      for (const a of d.attempts) {
        const r = a.routing
        const none = r.messageId === undefined && r.from === undefined && r.to === undefined
        if (none) {
          check(d.header?.profile !== 'cms-v1', 'a cms-v1 envelope comes with the three routing headers (§4.1, §12.5)')
          continue
        }
        check(r.messageId === d.header?.messageId && r.from === d.header?.from && r.to === d.header?.to, 'the routing headers come all three and equal the envelope\'s', { routing: r, envelope: d.header })
      }
    } },
  { id: 'C-4.2-16', section: '§4.2', title: 'the target\'s letter passes the receiver checks: it opens, its signed routing, signer and letter are right', answer: 'observed (--listen)',
    run: async (k) => {
      const d = await fromTarget(k)
      check(d.answered === 201 && d.problems.length === 0, 'every receiver check passes', { problems: d.problems.join('; ') })
    } },
  { id: 'C-7.2-01', section: '§7.2', title: 'after a 503 ERR_BUSY the target retries with the same message id and the same bytes', answer: 'observed (--listen)',
    run: async (k) => {
      const d = await fromTarget(k)
      check(d.attempts.length >= 2, 'the target retried after 503 with Retry-After', { attempts: d.attempts.length })
      check(d.attempts.every((a) => a.sha256 === d.attempts[0]!.sha256), 'every attempt carries the same bytes', { sha256: d.attempts.map((a) => a.sha256).join(', ') })
    } },
  // The target as a sender answered with a bad receipt (receipt-cases.ts, bad-receipts.ts)
  ...RECEIPT_CASES,
]
