// The digests and signature algorithms a time-stamp token may use, as tables (house style §2).
// Message imprints are SHA-256 only (PROTOCOL.md §13.2); a token's own SignerInfo may use any row here,
// so that tokens from other RFC 3161 servers (OpenSSL's `ts -reply`, commercial TSAs) verify too.
import {
  OID_ECDSA_WITH_SHA256, OID_ECDSA_WITH_SHA384, OID_ECDSA_WITH_SHA512, OID_RSA_ENCRYPTION, OID_SHA1, OID_SHA256,
  OID_SHA256_WITH_RSA, OID_SHA384, OID_SHA384_WITH_RSA, OID_SHA512, OID_SHA512_WITH_RSA,
} from './oids.js'

/** node:crypto hash names by OID. SHA-1 only for the ESS signing-certificate (v1) hash of RFC 2634. */
export const DIGESTS: Readonly<Record<string, { name: string; size: number }>> = {
  [OID_SHA256]: { name: 'sha256', size: 32 },
  [OID_SHA384]: { name: 'sha384', size: 48 },
  [OID_SHA512]: { name: 'sha512', size: 64 },
}
export const ESS_V1_DIGEST = { oid: OID_SHA1, name: 'sha1' } as const

/** SignerInfo.signatureAlgorithm → the key type it needs and the hash it fixes (rsaEncryption takes the
 *  hash from SignerInfo.digestAlgorithm, as OpenSSL writes it). RSASSA-PSS is not accepted (§13.2). */
export const SIGNATURES: Readonly<Record<string, { key: 'rsa' | 'ec'; hash?: string }>> = {
  [OID_RSA_ENCRYPTION]: { key: 'rsa' },
  [OID_SHA256_WITH_RSA]: { key: 'rsa', hash: 'sha256' },
  [OID_SHA384_WITH_RSA]: { key: 'rsa', hash: 'sha384' },
  [OID_SHA512_WITH_RSA]: { key: 'rsa', hash: 'sha512' },
  [OID_ECDSA_WITH_SHA256]: { key: 'ec', hash: 'sha256' },
  [OID_ECDSA_WITH_SHA384]: { key: 'ec', hash: 'sha384' },
  [OID_ECDSA_WITH_SHA512]: { key: 'ec', hash: 'sha512' },
}

/** What our TSA signs with: SHA-256, and the signature OID of its key type. */
export function signatureOidFor(keyType: string | undefined): string {
  if (keyType === 'rsa') return OID_SHA256_WITH_RSA
  if (keyType === 'ec') return OID_ECDSA_WITH_SHA256
  throw new Error(`a TSA key must be RSA or EC, not ${keyType}`)
}
