// The optional XML-DSig of a GovernmentDocument (e-cms.md §4; issue 18 §6): an enveloped signature in
// ram:GovernmentSignature over the ram:CorrespondenceLetter with ID="Letter" (Reference URI="#Letter"),
// with a bare RSAKeyValue (or an X509Certificate) as its key. Checked with xml-crypto on the document
// exactly as received. The key is the sender's own claim: e-CMS defines no trust anchor, so a valid
// signature proves integrity under that key, not who holds it. RSA-SHA1 / SHA-1 are accepted for
// this legacy input only (the templates use them); our own letters are signed by the node (§5).
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto'
import { DOMParser, type Element } from '@xmldom/xmldom'
import { SignedXml } from 'xml-crypto'
import { child, childText, NS, type XmlEl } from './xml.js'
import { findSignature, letterElement } from './model.js'

export interface SignatureCheck {
  present: boolean
  verified: boolean | undefined
  reason?: string
}

/** Allowed algorithms (house style §2: a table, resolved once). */
const SIGNATURE_ALGORITHMS = ['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'] as const
const DIGEST_ALGORITHMS = ['http://www.w3.org/2000/09/xmldsig#sha1', 'http://www.w3.org/2001/04/xmlenc#sha256'] as const

const b64url = (b64: string) => Buffer.from(b64.replace(/\s+/g, ''), 'base64').toString('base64url')

/** The public key the signature names (RSAKeyValue, else an X509Certificate); undefined: none usable. */
function keyOf(sig: XmlEl): KeyObject | undefined {
  const info = child(sig, 'KeyInfo')
  const rsa = info && child(info, 'KeyValue') && child(child(info, 'KeyValue')!, 'RSAKeyValue')
  if (rsa) {
    const n = childText(rsa, 'Modulus')
    const e = childText(rsa, 'Exponent')
    if (!n || !e) return undefined
    return createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' })
  }
  const x509 = info && child(info, 'X509Data') && childText(child(info, 'X509Data')!, 'X509Certificate')
  return x509 ? new X509Certificate(Buffer.from(x509.replace(/\s+/g, ''), 'base64')).publicKey : undefined
}

function all(el: XmlEl, out: XmlEl[] = []): XmlEl[] {
  out.push(el)
  for (const c of el.children) all(c, out)
  return out
}

const fail = (reason: string): SignatureCheck => ({ present: true, verified: false, reason })

/**
 * Checks the signature of `doc` (the GovernmentDocument element of `envelope`, the tree of `raw`).
 * Never throws: a broken signature is a result kept with the letter, not a refusal.
 */
export function checkDocumentSignature(raw: string, envelope: XmlEl, doc: XmlEl): SignatureCheck {
  const sig = findSignature(doc)
  if (!sig) return { present: false, verified: undefined }
  try {
    const signedInfo = child(sig, 'SignedInfo')
    const refs = signedInfo ? signedInfo.children.filter((c) => c.name === 'Reference') : []
    if (refs.length !== 1 || refs[0]!.attrs.URI !== '#Letter') return fail('the signature must have one Reference, to #Letter')
    const alg = signedInfo && child(signedInfo, 'SignatureMethod')?.attrs.Algorithm
    if (!(SIGNATURE_ALGORITHMS as readonly string[]).includes(alg ?? '')) return fail(`signature algorithm ${alg ?? '(none)'} is not accepted`)
    const digest = child(refs[0]!, 'DigestMethod')?.attrs.Algorithm
    if (!(DIGEST_ALGORITHMS as readonly string[]).includes(digest ?? '')) return fail(`digest algorithm ${digest ?? '(none)'} is not accepted`)
    // No signature wrapping: exactly one element of the whole message is "Letter", and it is the
    // CorrespondenceLetter the gateway reads.
    const named = all(envelope).filter((e) => e.attrs.ID === 'Letter' || e.attrs.Id === 'Letter' || e.attrs.id === 'Letter')
    if (named.length !== 1 || named[0] !== letterElement(doc)) return fail('#Letter must name the one CorrespondenceLetter of the document')
    const key = keyOf(sig)
    if (!key) return fail('the signature carries no RSAKeyValue or X509Certificate')
    // The same parser as xml.ts, on the same text: the DOM node of the signature for xml-crypto.
    const dom = new DOMParser().parseFromString(raw, 'text/xml')
    const nodes = dom.getElementsByTagNameNS(NS.ds, 'Signature')
    if (nodes.length !== 1) return fail('the message must carry exactly one ds:Signature')
    const signed = new SignedXml({ publicCert: key, getCertFromKeyInfo: () => null })
    signed.loadSignature(nodes.item(0) as unknown as Element as never)
    const ok = signed.checkSignature(raw)
    return ok ? { present: true, verified: true } : fail('the signature does not verify')
  } catch (err) {
    return fail(`the signature does not verify: ${(err as Error).message.split('\n')[0]}`)
  }
}
