// The optional XML-DSig of a GovernmentDocument (issue 18 §6; e-cms.md §4): real RSA keys, signatures
// made by xml-crypto the way the template describes them, checked by signature.ts. Absent, valid,
// tampered, wrapped (a second #Letter), and algorithms outside the table.
import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { SignedXml } from 'xml-crypto'
import { parseXml } from '../../src/gateways/ecms/xml.js'
import { readEnvelope } from '../../src/gateways/ecms/soap.js'
import { checkDocumentSignature } from '../../src/gateways/ecms/signature.js'
import { governmentDocument, outboundRequest, soapEnvelope } from '../helpers/ecms.js'

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const jwk = publicKey.export({ format: 'jwk' })
const keyValue = `<ds:KeyValue><ds:RSAKeyValue><ds:Modulus>${Buffer.from(jwk.n!, 'base64url').toString('base64')}</ds:Modulus><ds:Exponent>${Buffer.from(jwk.e!, 'base64url').toString('base64')}</ds:Exponent></ds:RSAKeyValue></ds:KeyValue>`

const SHA1 = { sig: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' }
const SHA256 = { sig: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'http://www.w3.org/2001/04/xmlenc#sha256' }

function signed(algs: { sig: string; digest: string } = SHA1, key = privateKey): string {
  const xml = soapEnvelope(outboundRequest(governmentDocument({ receiver: { department: '03001' } })))
  const sig = new SignedXml({ privateKey: key.export({ format: 'pem', type: 'pkcs8' }) as string, signatureAlgorithm: algs.sig, canonicalizationAlgorithm: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments' })
  sig.addReference({ xpath: "//*[@ID='Letter']", digestAlgorithm: algs.digest, transforms: ['http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments'] })
  sig.getKeyInfoContent = () => keyValue
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: "//*[local-name()='SignerParty']", action: 'after' } })
  return sig.getSignedXml()
}

function check(raw: string) {
  const envelope = parseXml(raw)
  return checkDocumentSignature(raw, envelope, readEnvelope(envelope).body.children[0]!)
}

t.test('absent: accepted and marked', async (t) => {
  t.same(check(soapEnvelope(outboundRequest(governmentDocument({ receiver: { department: '03001' } })))), { present: false, verified: undefined })
})

t.test('valid: RSA-SHA1 (the template, legacy) and RSA-SHA256', async (t) => {
  t.same(check(signed(SHA1)), { present: true, verified: true })
  t.same(check(signed(SHA256)), { present: true, verified: true })
})

t.test('tampered letter, foreign key, wrapping and algorithms outside the table do not verify', async (t) => {
  const tampered = check(signed().replace('ขอเชิญประชุม', 'ขอเชิญประชุมด่วน'))
  t.equal(tampered.verified, false, 'the subject changed after signing')
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  t.equal(check(signed(SHA1, other)).verified, false, 'signed by a key other than the RSAKeyValue it carries')
  // Signature wrapping: the signed letter moved aside, a forged one in its place under the same ID.
  const s = signed()
  const wrapped = s.replace('<ram:CorrespondenceLetter ID="Letter">', '<ram:CorrespondenceLetter ID="Letter"><ram:ID>ปลอม</ram:ID></ram:CorrespondenceLetter><ram:Extra><ram:CorrespondenceLetter ID="Letter">').replace('</ram:CorrespondenceLetter>\n    <ram:GovernmentSignature>', '</ram:CorrespondenceLetter></ram:Extra>\n    <ram:GovernmentSignature>')
  const w = check(wrapped)
  t.equal(w.verified, false, 'two elements named Letter')
  t.match(w.reason, /#Letter/)
  const md5 = check(signed().replace(SHA1.sig, 'http://www.w3.org/2001/04/xmldsig-more#rsa-md5'))
  t.equal(md5.verified, false)
  t.match(md5.reason, /algorithm/)
  const noKey = check(signed().replace(/<ds:KeyInfo>[\s\S]*<\/ds:KeyInfo>/, ''))
  t.equal(noKey.verified, false)
})
