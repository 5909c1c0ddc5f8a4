// Issue 16 item 2: with maxEnvelopeBytes raised for 1 GB letters (read by range from a staged file,
// never whole), what a node still reads into one buffer has a bound of its own,
// limits.maxWholeEnvelopeBytes: a notice (§18) staged on disk is refused with 413 before it is read
// whole; a body by reference to shared content (§17.8), put together in memory, is refused with 413
// before its body is read; a letter of the same size, read by range, is still accepted. Real mTLS
// into a real node; the bound is set tiny (1 KiB) and every body is staged (threshold 0).
import t from 'tap'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createHash, randomUUID } from 'node:crypto'
import { testNet, federationPost, type TestNet } from '../helpers/nodes.js'
import { bytesOf, sampleLetter } from '../vectors/fixtures.js'
import type { EnvelopeProfile } from '../../src/crypto/profiles.js'
import { SHARED_HEADERS } from '../../src/federation/shared-ref.js'

const WHOLE = 1024

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof'], {
    listeners: (id) => (id === 'mof' ? { federation: { largeBodies: { thresholdBytes: 0, perPeer: 4, total: 8 } } } : {}),
    extraFor: (id) => (id === 'mof' ? { limits: { maxWholeEnvelopeBytes: WHOLE } } : {}),
  })
  await net.nodes.mof!.start()
  await net.nodes.moi!.start()
})
t.teardown(async () => net?.stop())

const mof = () => net.nodes.mof!
const staged = () => readdirSync(join(mof().ctx!.config.dataDir, 'staging')).filter((n) => n.endsWith('.body'))
const codeOf = (r: { body: Buffer }) => (JSON.parse(r.body.toString()) as { code?: string }).code

async function seal(content: { attachments: Buffer[] } | { notice: object }) {
  const moi = net.nodes.moi!
  const profile: EnvelopeProfile = moi.ctx!.profiles.get('jose-v1')
  const messageId = randomUUID()
  const sealed = await profile.seal({
    messageId, from: 'moi', to: 'mof', sentAt: new Date().toISOString(),
    ...('notice' in content
      ? { letter: {}, attachments: [], notice: content.notice }
      : { letter: sampleLetter('moi', 'mof', content.attachments), attachments: content.attachments }),
    signer: moi.ctx!.hosted.get('moi')!.signer, recipientCert: moi.ctx!.directory().encryptionCertFor('mof')!,
  } as Parameters<EnvelopeProfile['seal']>[0])
  return { profile, messageId, envelope: sealed.envelope }
}

function post(profile: EnvelopeProfile, messageId: string, body: Buffer, headers: Record<string, string> = {}) {
  const tls = net.fed.agencies.moi!.tls
  return federationPost(mof().federationPort, {
    key: tls.keyPem, cert: tls.chainPem, ca: net.fed.root.certPem, body, contentType: profile.mediaType,
    routing: { messageId, from: 'moi', to: 'mof' }, headers,
  })
}

t.test('a letter over maxWholeEnvelopeBytes is read by range and accepted; a notice over it is refused (413) and not stored', async (t) => {
  const letter = await seal({ attachments: [bytesOf(64 * 1024, 7)] })
  t.ok(letter.envelope.length > WHOLE)
  const r = await post(letter.profile, letter.messageId, letter.envelope)
  t.equal(r.status, 201, r.body.toString().slice(0, 300))

  const sha256 = createHash('sha256').update(letter.envelope).digest('hex')
  const notice = await seal({ notice: { type: 'withdrawn', messageId: letter.messageId, envelopeSha256: sha256, at: new Date().toISOString(), reason: 'ส่งผิด' } })
  t.ok(notice.envelope.length > WHOLE, `the notice is ${notice.envelope.length} bytes`)
  const n = await post(notice.profile, notice.messageId, notice.envelope)
  t.equal(n.status, 413, n.body.toString().slice(0, 300))
  t.equal(codeOf(n), 'ERR_PAYLOAD_TOO_LARGE')
  t.match(JSON.parse(n.body.toString()).detail, /limits\.maxWholeEnvelopeBytes/)
  t.equal(mof().ctx!.notices.peek(notice.messageId), undefined, 'no notice is stored')
  t.same(staged(), [], 'no staging file is left')
})

t.test('a body by reference to shared content over maxWholeEnvelopeBytes is refused (413) before it is read', async (t) => {
  const { profile, messageId, envelope } = await seal({ attachments: [bytesOf(8 * 1024, 9)] })
  t.ok(envelope.length > WHOLE)
  const headers = { [SHARED_HEADERS.sha256]: createHash('sha256').update('held?').digest('hex'), [SHARED_HEADERS.offset]: '10', [SHARED_HEADERS.length]: '4096' }
  const r = await post(profile, messageId, envelope, headers)
  t.equal(r.status, 413, r.body.toString().slice(0, 300))
  t.equal(codeOf(r), 'ERR_PAYLOAD_TOO_LARGE')
  t.equal(mof().ctx!.inbox.peek(messageId), undefined)
})

