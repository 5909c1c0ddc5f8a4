// Certificates in memory are node:crypto X509Certificate (contract). Helpers to move them between
// PEM, base64 DER (x5c, RFC 7515 §4.1.6; directory entries) and fingerprints.
import { createHash, X509Certificate } from 'node:crypto'

// officer-*: a classified-information officer's personal certificates (PROTOCOL.md §1.2, §19).
export type CertRole = 'tls' | 'signing' | 'encryption' | 'directory' | 'tsa' | 'ca' | 'officer-signing' | 'officer-encryption'

const PEM_CERT = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g

/** Every CERTIFICATE block of a PEM bundle, in file order (RFC 7468 §5). Throws if there is none. */
export function parsePemChain(pem: string): X509Certificate[] {
  const out: X509Certificate[] = []
  for (const m of pem.matchAll(PEM_CERT)) {
    out.push(new X509Certificate(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')))
  }
  if (out.length === 0) throw new Error('no CERTIFICATE block in PEM input')
  return out
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/

/** Strict base64 (not base64url) DER, as in x5c. Throws a plain Error; callers map it to their code. */
export function certFromBase64Der(b64: string): X509Certificate {
  if (!B64.test(b64) || b64.length % 4 !== 0) throw new Error('certificate is not standard base64')
  return new X509Certificate(Buffer.from(b64, 'base64'))
}

export function toBase64Der(cert: X509Certificate): string {
  return cert.raw.toString('base64')
}

export function toPem(cert: X509Certificate): string {
  const lines = toBase64Der(cert).match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
}

// X509Certificate objects are immutable, so their fingerprint can be remembered (hot path).
const fps = new WeakMap<X509Certificate, string>()

/** SHA-256 of the DER encoding, lowercase hex (contract: digests are lowercase hex). */
export function fingerprint(cert: X509Certificate): string {
  let fp = fps.get(cert)
  if (fp === undefined) {
    fp = fingerprintDer(cert.raw)
    fps.set(cert, fp)
  }
  return fp
}

/** Same as fingerprint() for DER bytes or base64 DER, without parsing the certificate. */
export function fingerprintDer(der: Uint8Array | string): string {
  const bytes = typeof der === 'string' ? Buffer.from(der, 'base64') : der
  return createHash('sha256').update(bytes).digest('hex')
}

export function notBefore(cert: X509Certificate): Date {
  return new Date(cert.validFrom)
}

export function notAfter(cert: X509Certificate): Date {
  return new Date(cert.validTo)
}
