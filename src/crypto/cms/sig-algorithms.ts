// SignerInfo signature algorithms (RFC 5652 §5.3, RFC 5754 §3, RFC 4056) as rows of an allow-list
// (house style §2). SHA-256 only. Signing: RSA → PKCS#1 v1.5, EC P-256 → ECDSA; PSS by option
// (tests) and accepted on verify, with the parameters the signer states (MGF1 SHA-256; its salt).
import { constants, verify, type KeyObject } from 'node:crypto'
import type { HandleSignAlg, PrivateKeyHandle } from '../keys/handle.js'
import { p1363ToDer } from '../keys/ecdsa-der.js'
import { isKeyHandle, signSha256, type PrivateKeyRef } from '../keys/private-key.js'
import { keyKindOf, type KeyKind } from '../jose/key-kinds.js'
import { absentOrNull, children, DerError, readAlgId, readSmallInt, type Tlv } from './der-read.js'
import { algId, ctx, int, NULL, seq } from './der-write.js'
import { OID_ECDSA_WITH_SHA256, OID_MGF1, OID_RSA_ENCRYPTION, OID_RSASSA_PSS, OID_SHA256, OID_SHA256_WITH_RSA } from './oids.js'

export type SigName = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa'

export interface SigAlgorithm {
  readonly name: SigName
  readonly keyKind: KeyKind
  readonly signsByDefault: boolean
  /** AlgorithmIdentifier DER for SignerInfo.signatureAlgorithm. */
  readonly algId: Buffer
  readonly options: { padding?: number; saltLength?: number }
  /** The same primitive asked of a key handle, and how its signature becomes the SignerInfo's. */
  readonly handleAlg: HandleSignAlg
  readonly fromHandle: (signature: Buffer) => Buffer
}

const asIs = (s: Buffer): Buffer => s

const SHA256_ALG = algId(OID_SHA256)
// RFC 4055 §3.1: RSASSA-PSS-params { hashAlgorithm [0], maskGenAlgorithm [1], saltLength [2] } (trailerField default 1).
const PSS_PARAMS = seq(ctx(0, SHA256_ALG), ctx(1, algId(OID_MGF1, SHA256_ALG)), ctx(2, int(32)))

const ROWS: readonly SigAlgorithm[] = [
  { name: 'rsa-pkcs1', keyKind: 'rsa', signsByDefault: true, algId: algId(OID_SHA256_WITH_RSA, NULL), options: { padding: constants.RSA_PKCS1_PADDING }, handleAlg: 'RS256', fromHandle: asIs },
  { name: 'rsa-pss', keyKind: 'rsa', signsByDefault: false, algId: algId(OID_RSASSA_PSS, PSS_PARAMS), options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, handleAlg: 'PS256', fromHandle: asIs },
  // RFC 5758 §3.2: ecdsa-with-SHA256, parameters absent; the signature is the DER Ecdsa-Sig-Value.
  { name: 'ecdsa', keyKind: 'ec-p256', signsByDefault: true, algId: algId(OID_ECDSA_WITH_SHA256), options: {}, handleAlg: 'ES256', fromHandle: p1363ToDer },
]

export function signerAlgorithm(key: PrivateKeyRef, name?: SigName): SigAlgorithm | undefined {
  const kind = keyKindOf(key)
  return ROWS.find((r) => r.keyKind === kind && (name === undefined ? r.signsByDefault : r.name === name))
}

export function signWithRow(row: SigAlgorithm, data: Buffer, key: PrivateKeyRef): Buffer {
  const signature = signSha256(key, row.handleAlg, data, row.options)
  return isKeyHandle(key) ? row.fromHandle(signature) : signature
}

/** The default (or named) row for a handle's key kind. */
export function handleAlgorithm(handle: PrivateKeyHandle, name?: SigName): SigAlgorithm | undefined {
  if (handle.kind === 'rsa' && (handle.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return undefined
  return ROWS.find((r) => r.keyKind === handle.kind && (name === undefined ? r.signsByDefault : r.name === name))
}

/** Signs through a handle; ECDSA comes back as IEEE P1363 r‖s and is re-encoded as the DER
 *  Ecdsa-Sig-Value CMS carries (RFC 5753 §7.2 / RFC 3279 §2.2.3). */
export function signWithHandle(row: SigAlgorithm, data: Buffer, handle: PrivateKeyHandle): Buffer {
  return signWithRow(row, data, handle)
}


/**
 * The row (with the salt length the signer chose) for a received signatureAlgorithm, or undefined
 * when it is not allowed. RFC 5754 §3.2 lets RSA PKCS#1 v1.5 signers write rsaEncryption (OpenSSL does).
 */
export function verifierAlgorithm(buf: Buffer, t: Tlv | undefined): SigAlgorithm | undefined {
  const { oid, params } = readAlgId(buf, t)
  if (oid === OID_SHA256_WITH_RSA || oid === OID_RSA_ENCRYPTION) return absentOrNull(buf, params) ? ROWS[0] : undefined
  if (oid === OID_ECDSA_WITH_SHA256) return params === undefined ? ROWS[2] : undefined
  if (oid === OID_RSASSA_PSS && params !== undefined) {
    const salt = pssSalt(buf, params)
    return salt === undefined ? undefined : { ...ROWS[1]!, options: { ...ROWS[1]!.options, saltLength: salt } }
  }
  return undefined
}

/** RSASSA-PSS-params with SHA-256, MGF1-SHA-256 and trailerField 1: the salt length, else undefined. */
function pssSalt(buf: Buffer, params: Tlv): number | undefined {
  let hashOk = false, mgfOk = false, salt = 20 // RFC 4055 defaults: SHA-1 (refused), salt 20
  for (const f of children(buf, params)) {
    const inner = children(buf, f)[0]
    if (f.tag === 0xa0) {
      const h = readAlgId(buf, inner)
      hashOk = h.oid === OID_SHA256 && absentOrNull(buf, h.params)
    } else if (f.tag === 0xa1) {
      const m = readAlgId(buf, inner)
      const h = m.params === undefined ? undefined : readAlgId(buf, m.params)
      mgfOk = m.oid === OID_MGF1 && h?.oid === OID_SHA256 && absentOrNull(buf, h.params)
    } else if (f.tag === 0xa2) {
      salt = readSmallInt(buf, inner)
    } else if (f.tag === 0xa3) {
      if (readSmallInt(buf, inner) !== 1) return undefined
    } else throw new DerError('unknown RSASSA-PSS-params member')
  }
  return hashOk && mgfOk && salt >= 0 && salt <= 512 ? salt : undefined
}

/** false for any failure: wrong signature, key of another kind. */
export function verifyWithRow(row: SigAlgorithm, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  if (keyKindOf(key) !== row.keyKind) return false
  try {
    return verify('sha256', data, { key, ...row.options }, signature)
  } catch {
    return false
  }
}
