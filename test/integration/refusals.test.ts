// Refusals at the federation endpoint over real mTLS (issue 2 §13): each one answered with a coded
// problem+json, and nothing stored.
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { testNet, federationPost, thaiLetter, type TestNet } from '../helpers/nodes.js'
import { foreignFederation } from '../helpers/federation.js'
import type { SealInput, SignerIdentity } from '../../src/crypto/types.js'
import { craftEnvelope, letterJws, tamperPart, undecodableKey, x5cOf } from '../vectors/craft.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof'])
  await net.nodes.mof!.start()
})
t.teardown(async () => net?.stop())

const letterFor = (to: string, extra: Record<string, unknown> = {}) => ({ ...thaiLetter([to]), sender: { agency: 'moi', name: 'กระทรวงมหาดไทย' }, attachments: [], ...extra })

async function seal(opts: { to?: string; encryptFor?: string; signer?: SignerIdentity; letter?: Record<string, unknown>; from?: string } = {}) {
  const mof = net.nodes.mof!.ctx!
  const to = opts.to ?? 'mof'
  const a = net.fed.agencies.moi!
  return mof.profiles.get('jose-v1').seal({
    messageId: randomUUID(),
    from: opts.from ?? 'moi',
    to,
    sentAt: new Date().toISOString(),
    letter: opts.letter ?? letterFor(to),
    attachments: [],
    signer: opts.signer ?? { agency: 'moi', key: a.signing.key, chain: a.signing.chain },
    recipientCert: net.fed.agencies[opts.encryptFor ?? to]!.encryption.cert,
  })
}

function identity(agency: string) {
  const tls = net.fed.agencies[agency]!.tls
  return { key: tls.keyPem, cert: tls.chainPem, ca: net.fed.root.certPem }
}

async function expectRefusal(t: Test, res: { status: number; contentType: string; body: Buffer }, status: number, code: string) {
  t.equal(res.status, status, res.status < 300 ? 'accepted' : res.body.toString())
  t.match(res.contentType, /^application\/problem\+json/)
  t.equal(JSON.parse(res.body.toString()).code, code)
  t.equal(net.nodes.mof!.ctx!.inbox.list({ agencies: ['mof'], limit: 10 }).length, 0, 'nothing was stored')
}

t.test('a well-formed envelope is accepted (control)', async (t) => {
  const sealed = await seal()
  const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: sealed.envelope })
  t.equal(res.status, 201, res.status === 201 ? "accepted" : res.body.toString())
  // Remove it again so the refusal tests can assert an empty inbox.
  const db = net.nodes.mof!.ctx!.db.sqlite
  for (const table of ['inbox_attachments', 'inbox_envelopes', 'inbox_messages']) db.prepare(`DELETE FROM ${table}`).run()
})

t.test('no client certificate', async (t) => {
  const res = await federationPost(net.nodes.mof!.federationPort, { ca: net.fed.root.certPem, body: (await seal()).envelope })
  await expectRefusal(t, res, 401, 'ERR_TLS_CLIENT_CERT_REQUIRED')
})

t.test('a client certificate from another CA', async (t) => {
  const foreign = await foreignFederation()
  const tls = foreign.agencies.moi!.tls
  const res = await federationPost(net.nodes.mof!.federationPort, { key: tls.keyPem, cert: tls.chainPem, ca: net.fed.root.certPem, body: (await seal()).envelope })
  await expectRefusal(t, res, 401, 'ERR_TLS_CLIENT_CERT_UNTRUSTED')
})

t.test('a TLS identity that is not the envelope sender', async (t) => {
  const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('dga'), body: (await seal()).envelope })
  await expectRefusal(t, res, 403, 'ERR_SENDER_MISMATCH')
})

t.test('a signer that is not the sending agency', async (t) => {
  const d = net.fed.agencies.dga!
  const sealed = await seal({ signer: { agency: 'moi', key: d.signing.key, chain: d.signing.chain } })
  const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: sealed.envelope })
  await expectRefusal(t, res, 403, 'ERR_SIGNER_UNTRUSTED')
})

t.test('tampered ciphertext', async (t) => {
  const sealed = await seal()
  const parts = sealed.envelope.toString('ascii').split('.')
  const ct = Buffer.from(parts[3]!, 'base64url')
  ct[Math.floor(ct.length / 2)]! ^= 0x01
  parts[3] = ct.toString('base64url')
  const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: Buffer.from(parts.join('.')) })
  await expectRefusal(t, res, 400, 'ERR_DECRYPT_FAILED')
})

t.test('a tampered signature', async (t) => {
  const a = net.fed.agencies.moi!
  const input: SealInput = {
    messageId: randomUUID(), from: 'moi', to: 'mof', sentAt: new Date().toISOString(), letter: letterFor('mof'), attachments: [],
    signer: { agency: 'moi', key: a.signing.key, chain: a.signing.chain }, recipientCert: net.fed.agencies.mof!.encryption.cert,
  }
  // A correctly encrypted envelope whose inner JWS has one signature byte flipped.
  const envelope = craftEnvelope({ input, jws: tamperPart(letterJws(input), 2) })
  const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: envelope })
  await expectRefusal(t, res, 400, 'ERR_SIGNATURE_INVALID')
})

// Issue 13 §2: an x5c leaf whose public key does not decode was a 500 ERR_INTERNAL (which peers
// retry); it is malformed input, refused as the cms-v1 parser refuses it (§4.2 check 9).
t.test('a signer certificate whose public key does not decode', async (t) => {
  const a = net.fed.agencies.moi!
  const input: SealInput = {
    messageId: randomUUID(), from: 'moi', to: 'mof', sentAt: new Date().toISOString(), letter: letterFor('mof'), attachments: [],
    signer: { agency: 'moi', key: a.signing.key, chain: a.signing.chain }, recipientCert: net.fed.agencies.mof!.encryption.cert,
  }
  const [, ...rest] = x5cOf(a.signing.chain)
  const x5c = [undecodableKey(a.signing.chain[0]!).toString('base64'), ...rest]
  const envelope = craftEnvelope({ input, jws: letterJws(input, { headerOver: { x5c } }) })
  const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: envelope })
  await expectRefusal(t, res, 400, 'ERR_ENVELOPE_MALFORMED')
})

t.test('a letter addressed to another agency', async (t) => {
  const sealed = await seal({ to: 'dga' })
  const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: sealed.envelope })
  await expectRefusal(t, res, 421, 'ERR_RECIPIENT_NOT_HOSTED')
})

t.test('a malformed letter inside a valid envelope', async (t) => {
  const { subject: _drop, ...noSubject } = letterFor('mof')
  const sealed = await seal({ letter: { ...noSubject, urgency: 'VERY_VERY_URGENT' } })
  const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: sealed.envelope })
  await expectRefusal(t, res, 422, 'ERR_LETTER_INVALID')
  const problem = JSON.parse(res.body.toString())
  t.ok(problem.errors.some((e: { field: string }) => e.field.endsWith('/subject')), 'the missing field is named')
})

t.test('bytes that are not an envelope', async (t) => {
  const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: Buffer.from('hello.world') })
  await expectRefusal(t, res, 400, 'ERR_ENVELOPE_MALFORMED')
})

t.test('a media type that is not an envelope profile', async (t) => {
  const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: Buffer.from('{}'), contentType: 'application/json' })
  await expectRefusal(t, res, 415, 'ERR_UNSUPPORTED_MEDIA_TYPE')
})
