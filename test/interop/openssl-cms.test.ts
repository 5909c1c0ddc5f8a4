// cms-v1 interop with OpenSSL 3 (PROTOCOL.md §12), both ways: `openssl cms -decrypt` opens our
// envelopes with the recipient's key and `openssl cms -verify` accepts the signed letter inside and
// our receipts against the federation root; our profile opens envelopes that `openssl cms -sign` +
// `openssl cms -encrypt -aes-256-gcm` built (definite and streamed/indefinite lengths), and refuses
// tampered ones, wrong keys and key transport outside the profile.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { cmsV1, openCmsV1, openCmsV1WithContentKey, sealCmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { signCmsReceipt } from '../../src/crypto/cms/v1-receipt.js'
import { OID_CT_SARABAN_LETTER } from '../../src/crypto/cms/oids.js'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sampleLetter, sealInput, sealManyInput, signerOf } from '../vectors/fixtures.js'
import { fileIn, OPENSSL_CMS, requireTool, run, scratchDir, status } from './tools.js'
import { call, federationPost, testNet } from '../helpers/nodes.js'


const fed = await testFederation()
const attachment = Buffer.concat([Buffer.from('%PDF-1.7\n% ไฟล์แนบทดสอบ\n'), bytesOf(300_000, 3)])

t.test('openssl cms', async (t) => {
  if (!requireTool(t, OPENSSL_CMS)) return
  const dir = scratchDir(t)
  const file = fileIn(dir)
  const root = file('root.pem', fed.root.certPem)
  const inter = file('intermediate.pem', fed.intermediate.certPem)
  for (const [id, a] of Object.entries(fed.agencies)) {
    file(`${id}.enc.key.pem`, a.encryption.keyPem)
    file(`${id}.enc.crt.pem`, a.encryption.certPem)
    file(`${id}.sign.key.pem`, a.signing.keyPem)
    file(`${id}.sign.crt.pem`, a.signing.certPem)
  }
  const decrypt = (env: string, to: string, out: string): Buffer =>
    run('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', env, '-inkey', file(`${to}.enc.key.pem`), '-recip', file(`${to}.enc.crt.pem`), '-out', out])
  const verify = (signed: string, out: string): Buffer =>
    run('openssl', ['cms', '-verify', '-inform', 'DER', '-in', signed, '-CAfile', root, '-certfile', inter, '-out', out])

  const CASES = [
    { from: 'moi', to: 'mof', what: 'RSA PKCS#1 v1.5 signer, EC recipient (ECDH key agreement)' },
    { from: 'mof', to: 'moi', what: 'ECDSA signer, RSA recipient (RSA-OAEP key transport)' },
    { from: 'dga', to: 'mof', what: 'ECDSA signer, EC recipient' },
    { from: 'moi', to: 'moi', what: 'RSASSA-PSS signer, RSA recipient', sigAlg: 'rsa-pss' as const },
  ]
  for (const c of CASES) {
    t.test(`openssl opens and verifies ours: ${c.from} → ${c.to}, ${c.what}`, async (t) => {
      const input = sealInput(fed, c.from, c.to, [attachment])
      const sealed = sealCmsV1(input, c.sigAlg ? { sigAlg: c.sigAlg } : {})
      const env = file(`ours-${c.from}-${c.to}.der`, sealed.envelope)
      const plain = file(`ours-${c.from}-${c.to}.plain`)
      decrypt(env, c.to, plain)
      const bundle = readFileSync(plain)
      const ours = openCmsV1WithContentKey(sealed.envelope, sealed.contentKey)
      const signedLength = Buffer.from(ours.signedBytes, 'base64').length
      t.ok(bundle.subarray(signedLength).equals(attachment), 'the plaintext is the SignedData followed by the raw attachment bytes')
      const signed = file(`ours-${c.from}-${c.to}.signed.der`, bundle.subarray(0, signedLength))
      const payloadFile = file(`ours-${c.from}-${c.to}.payload.json`)
      verify(signed, payloadFile)
      const payload = JSON.parse(readFileSync(payloadFile, 'utf8'))
      t.strictSame(payload, { v: 1, mid: input.messageId, from: c.from, to: c.to, sentAt: input.sentAt, letter: input.letter }, 'openssl cms -verify accepts the signed letter and gives the payload')
      t.equal(payload.letter.attachments[0].sha256, ours.payload.letter.attachments[0].sha256)
      const printed = run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', signed]).toString()
      t.match(printed, OID_CT_SARABAN_LETTER, 'eContentType is the saraban letter OID')
      t.match(printed, /signingTime/)

      const wrongKey = c.to === 'mof' ? 'dga' : 'mof'
      t.not(status('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', env, '-inkey', file(`${wrongKey}.enc.key.pem`), '-out', file('x')]), 0, 'another key does not open it')
      const tampered = Buffer.from(sealed.envelope)
      tampered[tampered.length - 100]! ^= 0x01
      t.not(status('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', file('tampered.der', tampered), '-inkey', file(`${c.to}.enc.key.pem`), '-recip', file(`${c.to}.enc.crt.pem`), '-out', file('x')]), 0, 'a flipped ciphertext byte fails the GCM tag in openssl too')
    })
  }

  t.test('openssl opens every part of a sealMany (PROTOCOL.md §17.6): one SignedData, one ciphertext, a RecipientInfo each', async (t) => {
    const input = sealManyInput(fed, 'moi', ['mof', 'dga'], [attachment], { copyTo: ['moi'] })
    const sealed = await cmsV1.sealMany(input)
    t.equal(sealed.parts.length, 3)
    for (const part of sealed.parts) {
      const env = file(`many-${part.to}.der`, Buffer.concat([part.head, sealed.shared, part.tail]))
      const plain = file(`many-${part.to}.plain`)
      decrypt(env, part.to, plain)
      const bundle = readFileSync(plain)
      const ours = openCmsV1(readFileSync(env), fed.agencies[part.to]!.encryption.key)
      const signedLength = Buffer.from(ours.signedBytes, 'base64').length
      t.ok(bundle.subarray(signedLength).equals(attachment), `${part.to}: openssl decrypts head ‖ shared ‖ tail to the SignedData and the attachment`)
      const payloadFile = file(`many-${part.to}.payload.json`)
      verify(file(`many-${part.to}.signed.der`, bundle.subarray(0, signedLength)), payloadFile)
      t.strictSame(JSON.parse(readFileSync(payloadFile, 'utf8')), { v: 2, lid: input.letterId, from: 'moi', sentAt: input.sentAt, letter: input.letter }, `${part.to}: openssl cms -verify gives the v2 payload`)
      const wrongKey = part.to === 'mof' ? 'dga' : 'mof'
      t.not(status('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', env, '-inkey', file(`${wrongKey}.enc.key.pem`), '-out', file('x')]), 0, `${part.to}: another recipient's key does not open this part`)
    }
  })

  t.test('openssl cms -verify accepts our receipts (RSA and EC signers)', async (t) => {
    for (const to of ['moi', 'mof']) {
      const claims = { v: 1 as const, mid: randomUUID(), from: 'dga', to, receivedAt: new Date().toISOString(), envelopeSha256: 'cd'.repeat(32), profile: 'cms-v1' }
      const receipt = file(`receipt-${to}.der`, await cmsV1.signReceipt(claims, signerOf(fed, to)))
      const out = file(`receipt-${to}.json`)
      verify(receipt, out)
      t.strictSame(JSON.parse(readFileSync(out, 'utf8')), claims)
    }
  })

  /** A letter signed and encrypted by openssl alone: plaintext = signed.der || attachment. */
  const opensslEnvelope = (from: string, to: string, opts: { signKeyopts?: string[]; encKeyopts?: string[]; stream?: boolean } = {}) => {
    const mid = randomUUID()
    const payload = { v: 1, mid, from, to, sentAt: new Date().toISOString(), letter: sampleLetter(from, to, [attachment]) }
    const tag = `${from}-${to}-${mid.slice(0, 8)}`
    const signed = file(`ossl-${tag}.signed.der`)
    run('openssl', ['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-econtent_type', OID_CT_SARABAN_LETTER,
      '-in', file(`ossl-${tag}.json`, JSON.stringify(payload)), '-signer', file(`${from}.sign.crt.pem`), '-inkey', file(`${from}.sign.key.pem`),
      '-certfile', inter, ...(opts.signKeyopts ?? []), ...(opts.stream ? ['-stream'] : []), '-outform', 'DER', '-out', signed])
    const plain = file(`ossl-${tag}.plain`, Buffer.concat([readFileSync(signed), attachment]))
    const rsa = fed.agencies[to]!.spec.keyType === 'rsa'
    const env = file(`ossl-${tag}.env.der`)
    run('openssl', ['cms', '-encrypt', '-binary', '-aes-256-gcm', '-in', plain, '-recip', file(`${to}.enc.crt.pem`),
      ...(opts.encKeyopts ?? (rsa ? ['-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256'] : ['-keyopt', 'ecdh_kdf_md:sha256'])),
      ...(opts.stream ? ['-stream'] : []), '-outform', 'DER', '-out', env])
    return { envelope: readFileSync(env), routing: { messageId: mid, from, to }, payload }
  }

  for (const [from, to] of [['moi', 'mof'], ['mof', 'moi'], ['dga', 'mof']] as const) {
    t.test(`we open what openssl signed and encrypted: ${from} → ${to}`, async (t) => {
      const o = opensslEnvelope(from, to)
      const header = cmsV1.peek(o.envelope, o.routing)
      t.ok(cmsV1.matchesRecipient(header, fed.agencies[to]!.encryption.cert), 'the rid openssl wrote names the recipient certificate')
      const opened = await cmsV1.open(o.envelope, fed.agencies[to]!.encryption.key)
      t.strictSame(opened.payload, o.payload)
      t.equal(opened.attachments.length, 1)
      t.ok(opened.attachments[0]!.equals(attachment))
      t.equal(opened.signerChain[0]!.fingerprint256, fed.agencies[from]!.signing.cert.fingerprint256)
      await t.rejects(cmsV1.open(o.envelope, fed.agencies[to === 'mof' ? 'dga' : 'mof']!.encryption.key), { code: 'ERR_DECRYPT_FAILED' }, 'another key: one vague error')
      const tampered = Buffer.from(o.envelope)
      tampered[tampered.length - 1000]! ^= 0x80
      await t.rejects(cmsV1.open(tampered, fed.agencies[to]!.encryption.key), { code: 'ERR_DECRYPT_FAILED' }, 'a flipped ciphertext byte')
    })
  }

  t.test('streamed (indefinite-length, chunked) openssl output', async (t) => {
    const o = opensslEnvelope('moi', 'mof', { stream: true })
    t.equal(o.envelope[1], 0x80, 'openssl wrote an indefinite length')
    const opened = openCmsV1(o.envelope, fed.agencies.mof!.encryption.key)
    t.strictSame(opened.payload, o.payload)
    t.ok(opened.attachments[0]!.equals(attachment))
  })

  t.test('an RSASSA-PSS signature made by openssl', async (t) => {
    const o = opensslEnvelope('moi', 'mof', { signKeyopts: ['-keyopt', 'rsa_padding_mode:pss'] })
    const opened = openCmsV1(o.envelope, fed.agencies.mof!.encryption.key)
    t.strictSame(opened.payload, o.payload)
  })

  t.test('a running node accepts over mTLS a letter that openssl signed and encrypted for it', async (t) => {
    const net = await testNet(['moi', 'mof'], { profiles: ['cms-v1'] })
    t.teardown(() => net.stop())
    await net.nodes.mof!.start()
    const o = opensslEnvelope('moi', 'mof')
    const tls = net.fed.agencies.moi!.tls
    const res = await federationPost(net.nodes.mof!.federationPort, {
      key: tls.keyPem, cert: tls.chainPem, ca: net.fed.root.certPem, body: o.envelope, contentType: 'application/cms', routing: o.routing,
    })
    t.equal(res.status, 201, res.status === 201 ? "accepted" : res.body.toString())
    t.equal(res.contentType, 'application/cms')
    const receipt = await cmsV1.verifyReceipt(res.body)
    t.match(receipt.claims, { mid: o.routing.messageId, from: 'moi', to: 'mof', profile: 'cms-v1' })
    const receiptFile = file('node-receipt.der', res.body)
    verify(receiptFile, file('node-receipt.json'))
    t.pass('openssl cms -verify accepts the receipt the node answered with')
    const got = await call(net.nodes.mof!, 'GET', `/api/v1/inbox/${o.routing.messageId}`)
    t.equal(got.status, 200)
    t.equal(got.body.letter.subject, o.payload.letter.subject)
    const bytes = await call(net.nodes.mof!, 'GET', `/api/v1/inbox/${o.routing.messageId}/attachments/${got.body.attachments[0].id}`)
    t.ok(Buffer.compare(bytes.body, attachment) === 0, 'the attachment arrives byte for byte')
    const noRouting = await federationPost(net.nodes.mof!.federationPort, {
      key: tls.keyPem, cert: tls.chainPem, ca: net.fed.root.certPem, body: opensslEnvelope('moi', 'mof').envelope, contentType: 'application/cms',
    })
    t.equal(noRouting.status, 400)
    t.equal(JSON.parse(noRouting.body.toString()).code, 'ERR_ENVELOPE_MALFORMED', 'without the routing headers a cms-v1 envelope is refused')
  })

  t.test('RSA PKCS#1 v1.5 key transport (openssl default) is outside the profile', async (t) => {
    const o = opensslEnvelope('mof', 'moi', { encKeyopts: [] })
    t.throws(() => cmsV1.peek(o.envelope, o.routing), { code: 'ERR_PROFILE_UNSUPPORTED' })
  })

  t.test('SHA-1 KDF for ECDH (openssl default) is outside the profile', async (t) => {
    const o = opensslEnvelope('moi', 'mof', { encKeyopts: [] })
    t.throws(() => cmsV1.peek(o.envelope, o.routing), { code: 'ERR_PROFILE_UNSUPPORTED' })
  })
})
