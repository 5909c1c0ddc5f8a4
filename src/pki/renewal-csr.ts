// Renewal (issue 17 item 5): a new key of the same kind as a certificate's and a PKCS#10 request
// (RFC 2986) for the same subject, and for TLS the same subjectAltName, so that the CA issues its
// successor. Building only: the CA decides what it certifies; validate.ts decides trust.
import { generateKeyPairSync, webcrypto, createPublicKey } from 'node:crypto'
import type { KeyObject, X509Certificate } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { keyKind } from './keys.js'

const crypto = webcrypto

/** A fresh private key of the kind of `cert`'s key (RSA of the same size, or the same EC curve). */
export function newKeyLike(cert: X509Certificate): KeyObject {
  const kind = keyKind(cert)
  if (kind === 'rsa') return generateKeyPairSync('rsa', { modulusLength: cert.publicKey.asymmetricKeyDetails?.modulusLength ?? 2048 }).privateKey
  return generateKeyPairSync('ec', { namedCurve: kind === 'ec-p256' ? 'P-256' : 'P-384' }).privateKey
}

/** A PEM CSR for `key` with `cert`'s subject (and subjectAltName), signed with `key` (proof of possession). */
export async function renewalCsr(key: KeyObject, cert: X509Certificate): Promise<string> {
  const kind = keyKind(key)
  const alg = kind === 'rsa'
    ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: kind === 'ec-p256' ? 'P-256' : 'P-384', hash: kind === 'ec-p256' ? 'SHA-256' : 'SHA-384' }
  const privateKey = await crypto.subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), alg, true, ['sign'])
  const publicKey = await crypto.subtle.importKey('spki', createPublicKey(key).export({ type: 'spki', format: 'der' }), alg, true, ['verify'])
  const current = new x509.X509Certificate(cert.raw)
  const san = current.getExtension(x509.SubjectAlternativeNameExtension)
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name(current.subjectName.toArrayBuffer()), keys: { privateKey, publicKey }, signingAlgorithm: alg, extensions: san ? [san] : [],
  }, crypto)
  return csr.toString('pem') + '\n'
}
