// ECDH-ES+A256KW (RFC 7518 §4.6): an ephemeral key pair on the recipient's curve, Concat KDF
// (§4.6.2, NIST SP 800-56A §5.8.1) to a 256-bit key-encryption key, then AES Key Wrap (RFC 3394).
import { createCipheriv, createDecipheriv, createHash, type KeyObject } from 'node:crypto'
import { ecdhSecretWithPoint, type PrivateKeyRef } from '../keys/private-key.js'
import { agreeEphemeral } from '../ephemeral-ec.js'
import { decodeStrict } from './b64.js'
import { CURVES, curveOfKind, keyKindOf, type CurveName } from './key-kinds.js'

const ALG = 'ECDH-ES+A256KW'
const KEYDATALEN_BITS = 256
const AESKW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex') // RFC 3394 §2.2.3.1 default IV

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

/**
 * Concat KDF for one SHA-256 round (keydatalen ≤ 256): SHA-256(counter=1 || Z || OtherInfo), where
 * OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo, each datum length-prefixed
 * (32-bit big-endian). jose-v1 uses empty apu/apv (RFC 7518 §4.6.2).
 */
export function concatKdf(z: Buffer, algorithmId: string, keydatalenBits: number, apu = Buffer.alloc(0), apv = Buffer.alloc(0)): Buffer {
  if (keydatalenBits > 256) throw new Error('concatKdf: one round only')
  const alg = Buffer.from(algorithmId, 'ascii')
  return createHash('sha256')
    .update(u32(1)).update(z)
    .update(u32(alg.length)).update(alg)
    .update(u32(apu.length)).update(apu)
    .update(u32(apv.length)).update(apv)
    .update(u32(keydatalenBits))
    .digest()
    .subarray(0, keydatalenBits / 8)
}

export interface EpkJwk { kty: 'EC'; crv: CurveName; x: string; y: string }

function curveOf(key: PrivateKeyRef): CurveName | undefined {
  const kind = keyKindOf(key)
  return kind === undefined ? undefined : curveOfKind(kind)
}

export function fitsEcdh(key: PrivateKeyRef): boolean {
  return curveOf(key) !== undefined
}

export function wrapEcdhEs(cek: Buffer, recipient: KeyObject): { encryptedKey: Buffer; header: { epk: EpkJwk } } {
  const crv = curveOf(recipient)
  if (crv === undefined) throw new Error('ECDH-ES: recipient key is not on an allowed curve')
  // Not generateKeyPairSync + export: that pair deadlocks Node 20 now and then (crypto/ephemeral-ec.ts).
  const eph = agreeEphemeral(crv, recipient)
  const kek = concatKdf(eph.z, ALG, KEYDATALEN_BITS)
  const c = createCipheriv('id-aes256-wrap', kek, AESKW_IV)
  const encryptedKey = Buffer.concat([c.update(cek), c.final()])
  return { encryptedKey, header: { epk: { kty: 'EC', crv, x: eph.x.toString('base64url'), y: eph.y.toString('base64url') } } }
}

/** The unwrapped CEK, or undefined for any failure (the caller substitutes a random CEK, RFC 7516 §11.5). */
export function unwrapEcdhEs(encryptedKey: Buffer, header: Record<string, unknown>, key: PrivateKeyRef): Buffer | undefined {
  const crv = curveOf(key)
  const epk = header['epk']
  if (crv === undefined || typeof epk !== 'object' || epk === null || Array.isArray(epk)) return undefined
  const e = epk as Record<string, unknown>
  // The epk is exactly {kty, crv, x, y} on the recipient's own curve (invalid-curve attacks: RFC 8725 §3.4).
  if (Object.keys(e).length !== 4 || e['kty'] !== 'EC' || e['crv'] !== crv) return undefined
  const n = CURVES[crv].coordBytes
  const point = Buffer.allocUnsafe(1 + 2 * n) // uncompressed: 0x04 ‖ x ‖ y
  point[0] = 4
  for (const [c, at] of [['x', 1], ['y', 1 + n]] as const) {
    const v = e[c]
    const bytes = typeof v === 'string' ? decodeStrict(Buffer.from(v, 'latin1')) : undefined
    if (bytes?.length !== n) return undefined
    bytes.copy(point, at)
  }
  try {
    // OpenSSL refuses a point that is not on the curve when it decodes it.
    const kek = concatKdf(ecdhSecretWithPoint(key, { crv, point }), ALG, KEYDATALEN_BITS)
    const d = createDecipheriv('id-aes256-wrap', kek, AESKW_IV)
    return Buffer.concat([d.update(encryptedKey), d.final()])
  } catch {
    return undefined
  }
}
