// cms-v1 accepts the subjectKeyIdentifier forms of RecipientIdentifier and SignerIdentifier that
// other CMS tools may write (PROTOCOL.md §12.3, §12.4), and matches keys by them.
import t from 'tap'
import { cmsV1, sealCmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { certId } from '../../src/crypto/cms/cert-id.js'
import { children, raw, readTlv } from '../../src/crypto/cms/der-read.js'
import { ctx, int, octets, seq, tlv } from '../../src/crypto/cms/der-write.js'
import { testFederation } from '../helpers/federation.js'
import { sealInput } from '../vectors/fixtures.js'
import { assembleEnvelope, signedLetter } from '../vectors/cms-craft.js'

const fed = await testFederation()

/** KeyTransRecipientInfo → version 2, rid [0] subjectKeyIdentifier. */
function ktriBySki(ski: Buffer) {
  return (ri: Buffer): Buffer => {
    const [, , alg, ek] = children(ri, readTlv(ri, 0))
    return seq(int(2), tlv(0x80, ski), raw(ri, alg!), raw(ri, ek!))
  }
}

/** KeyAgreeRecipientInfo → its RecipientEncryptedKey's rid as rKeyId [0] { subjectKeyIdentifier }. */
function kariBySki(ski: Buffer) {
  return (ri: Buffer): Buffer => {
    const [v, orig, kea, reks] = children(ri, readTlv(ri, 0))
    const [, ek] = children(ri, children(ri, reks!)[0]!)
    return tlv(0xa1, raw(ri, v!), raw(ri, orig!), raw(ri, kea!), seq(seq(ctx(0, octets(ski)), raw(ri, ek!))))
  }
}

for (const [from, to, kind] of [['mof', 'moi', 'ktri'], ['moi', 'mof', 'kari']] as const) {
  t.test(`${kind} with a subjectKeyIdentifier rid, signer named by subjectKeyIdentifier`, async (t) => {
    const input = sealInput(fed, from, to, [Buffer.from('แนบ')])
    const cert = fed.agencies[to]!.encryption.cert
    const ski = certId(cert).ski!
    t.ok(ski, 'the test CA writes a subjectKeyIdentifier')
    const env = assembleEnvelope({
      plaintext: [signedLetter(input, { sign: { sid: 'ski' } }), ...input.attachments], recipient: cert,
      mutateRecipientInfo: kind === 'ktri' ? ktriBySki(ski) : kariBySki(ski),
    })
    const h = cmsV1.peek(env, { messageId: input.messageId, from, to })
    t.equal(h.recipientKeyId, `ski:${ski.toString('hex')}`)
    t.ok(cmsV1.matchesRecipient(h, cert))
    t.notOk(cmsV1.matchesRecipient(h, fed.agencies.dga!.encryption.cert))
    const opened = await cmsV1.open(env, fed.agencies[to]!.encryption.key)
    t.match(opened.payload, { v: 1, mid: input.messageId })
    t.equal(opened.signerChain[0]!.fingerprint256, fed.agencies[from]!.signing.cert.fingerprint256, 'the SKI sid finds the signer certificate')
  })
}

t.test('the default rid is issuerAndSerialNumber and matches only its certificate', async (t) => {
  const input = sealInput(fed, 'moi', 'mof', [])
  const h = cmsV1.peek(sealCmsV1(input).envelope, { messageId: input.messageId, from: 'moi', to: 'mof' })
  t.match(h.recipientKeyId, /^ias:[0-9a-f]{64}$/)
  t.ok(cmsV1.matchesRecipient(h, fed.agencies.mof!.encryption.cert))
  t.notOk(cmsV1.matchesRecipient(h, fed.agencies.mof!.signing.cert), 'not even another certificate of the same agency')
})
