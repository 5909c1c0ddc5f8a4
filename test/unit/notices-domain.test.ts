// The notice state tables (PROTOCOL.md §18.4) and the payload rule "notice in place of letter" (§5.4,
// §18.2) for both profiles, with real keys.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { DISPUTE, INBOX_ACTS, WITHDRAW, bangkokYear, disputeProblem, inboxState, isAnswer, recipientState, type Notice } from '../../src/domain/notices.js'
import { decodePayload } from '../../src/crypto/jose/v1-payload.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { testFederation } from '../helpers/federation.js'

t.test('recipient side: only a received letter may be registered or rejected', async (t) => {
  t.same(INBOX_ACTS.received, { register: true, reject: true })
  t.equal(INBOX_ACTS.registered.register, 'ERR_ALREADY_REGISTERED')
  t.equal(INBOX_ACTS.registered.reject, 'ERR_ALREADY_REGISTERED')
  t.equal(INBOX_ACTS.rejected.register, 'ERR_ALREADY_REJECTED')
  t.equal(INBOX_ACTS.withdrawn.register, 'ERR_LETTER_WITHDRAWN')
  t.equal(inboxState(undefined, false), 'received')
  t.equal(inboxState(undefined, true), 'withdrawn')
  t.equal(inboxState('accepted', true), 'registered', 'the answer wins over a crossing withdrawal')
  t.equal(inboxState('rejected', false), 'rejected')
})

t.test('sender side: a delivered recipient without an answer gets a notice, a queued one is cancelled', async (t) => {
  t.equal(WITHDRAW.delivered, 'notice')
  t.equal(WITHDRAW.queued, 'cancel', 'not sent yet: cancel the message (§18.4)')
  t.equal(WITHDRAW.sending, 'ERR_WITHDRAW_IN_FLIGHT', 'an attempt in flight may deliver it: ask again')
  t.equal(WITHDRAW.failed, 'ERR_NOT_DELIVERED')
  t.equal(recipientState('failed', undefined, true), 'withdrawn', 'a cancelled delivery shows withdrawn')
  t.equal(WITHDRAW.accepted, 'ERR_WITHDRAW_ACCEPTED')
  t.equal(WITHDRAW.rejected, 'ERR_ALREADY_REJECTED')
  t.equal(WITHDRAW.withdrawn, 'ERR_ALREADY_WITHDRAWN')
  t.equal(recipientState('delivered', undefined, false), 'delivered')
  t.equal(recipientState('delivered', undefined, true), 'withdrawn')
  t.equal(recipientState('delivered', 'accepted', true), 'accepted', 'the answer wins over a crossing withdrawal')
  t.equal(recipientState('sending', 'rejected', false), 'rejected', 'an answer may overtake the record of delivery')
})

t.test('the register year is the calendar year in Asia/Bangkok', async (t) => {
  t.equal(bangkokYear(Date.parse('2026-12-31T16:59:59.999Z')), 2026)
  t.equal(bangkokYear(Date.parse('2026-12-31T17:00:00.000Z')), 2027, '1 January 00:00 +07:00')
})

t.test('payload: exactly one of letter and notice', async (t) => {
  const head = { v: 1, mid: randomUUID(), from: 'mof', to: 'moi', sentAt: '2026-11-25T08:00:00.000Z' }
  const enc = (o: object) => Buffer.from(JSON.stringify(o))
  t.same(decodePayload(enc({ ...head, notice: { type: 'accepted' } })).notice, { type: 'accepted' })
  t.throws(() => decodePayload(enc({ ...head, notice: {}, letter: {} })), { code: 'ERR_ENVELOPE_MALFORMED' }, 'both')
  t.throws(() => decodePayload(enc(head)), { code: 'ERR_ENVELOPE_MALFORMED' }, 'neither')
  t.throws(() => decodePayload(enc({ ...head, notice: 'accepted' })), { code: 'ERR_ENVELOPE_MALFORMED', field: '/notice' }, 'not an object')
  t.throws(() => decodePayload(enc({ ...head, notice: {}, extra: 1 })), { code: 'ERR_ENVELOPE_MALFORMED' }, 'an extra member')
  // PROTOCOL.md §17.2, §18.2: a notice never travels in a v2 payload (vector cms-v1/envelopes/33).
  const v2 = { v: 2, lid: randomUUID(), from: 'mof', sentAt: '2026-11-25T08:00:00.000Z' }
  t.throws(() => decodePayload(enc({ ...v2, notice: { type: 'accepted' } })), { code: 'ERR_ENVELOPE_MALFORMED' }, 'a notice in a v2 payload')
  t.ok(decodePayload(enc({ ...v2, letter: {} })), 'while a letter in a v2 payload is read')
})

t.test('both profiles seal and open a notice; a notice carries no attachments', async (t) => {
  const fed = await testFederation()
  const notice = { type: 'withdrawn', messageId: randomUUID(), envelopeSha256: '0'.repeat(64), at: '2026-11-25T08:00:00.000Z', reason: 'ขอลบหนังสือเพื่อส่งใหม่' }
  for (const profile of [defaultProfiles().get('jose-v1'), defaultProfiles().get('cms-v1')]) {
    const input = {
      messageId: randomUUID(), from: 'moi', to: 'mof', sentAt: '2026-11-25T08:00:00.000Z', letter: {}, attachments: [], notice,
      signer: { agency: 'moi', key: fed.agencies.moi!.signing.key, chain: fed.agencies.moi!.signing.chain }, recipientCert: fed.agencies.mof!.encryption.cert,
    }
    const sealed = await profile.seal(input)
    const opened = await profile.open(sealed.envelope, fed.agencies.mof!.encryption.key)
    t.same(opened.payload.notice, notice, `${profile.id}: the notice comes back`)
    t.equal(opened.payload.letter, undefined, `${profile.id}: and no letter`)
    t.same(opened.attachments, [])
    await t.rejects(profile.seal({ ...input, attachments: [Buffer.from('x')] }), { code: 'ERR_ENVELOPE_MALFORMED' }, `${profile.id}: attachments refused`)
  }
})

t.test('PROTOCOL.md §18.4: only an acceptance can be disputed, and only with exactly its register entry', async (t) => {
  t.equal(DISPUTE.accepted, 'notice')
  t.equal(DISPUTE.delivered, 'ERR_NOTICE_INVALID', 'not accepted: no receive number to dispute')
  t.equal(DISPUTE.rejected, 'ERR_ALREADY_REJECTED')
  t.equal(DISPUTE.withdrawn, 'ERR_ALREADY_WITHDRAWN')
  t.equal(DISPUTE.failed, 'ERR_NOT_DELIVERED')
  t.notOk(isAnswer('disputed'), 'a dispute goes sender → recipient')
  const about = { messageId: '5a2a0ba0-0000-4000-8000-000000000001', envelopeSha256: 'a'.repeat(64), at: '2026-11-25T03:09:59.500Z' }
  const accepted: Notice = { type: 'accepted', ...about, register: { book: 'receive', year: 2026, number: 152 } }
  const dispute: Notice = { type: 'disputed', ...about, register: { book: 'receive', year: 2026, number: 152 }, reason: 'เลขรับผิด' }
  t.equal(disputeProblem(dispute, accepted), undefined)
  t.match(disputeProblem({ ...dispute, register: { book: 'receive', year: 2026, number: 153 } }, accepted), { code: 'ERR_NOTICE_INVALID', field: '/notice/register' })
  t.match(disputeProblem({ ...dispute, register: { book: 'receive', year: 2025, number: 152 } }, accepted), { code: 'ERR_NOTICE_INVALID', field: '/notice/register' })
  t.match(disputeProblem(dispute, { type: 'rejected', ...about, reasonCode: 'other', reason: 'x' }), { code: 'ERR_NOTICE_INVALID', field: '/notice/type' })
  t.match(disputeProblem(dispute, undefined), { code: 'ERR_NOTICE_INVALID', field: '/notice/type' })
})
