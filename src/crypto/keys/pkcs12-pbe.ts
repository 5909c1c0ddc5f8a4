// The legacy password-based encryption of PKCS#12 (RFC 7292 Appendix B and C), which pkijs does not
// implement and which `openssl pkcs12 -export -legacy` (and OpenSSL 1.x by default) writes: certificate
// bags under pbeWithSHAAnd40BitRC2-CBC, keys under pbeWithSHAAnd3-KeyTripleDES-CBC. Read-only: this
// program never writes these forms. RC2 (RFC 2268) is here because OpenSSL 3 keeps it in its legacy
// provider, which node does not load.
import { createDecipheriv, createHash } from 'node:crypto'
import * as asn1js from 'asn1js'

const OID_PBE_SHA_3DES = '1.2.840.113549.1.12.1.3'
const OID_PBE_SHA_2DES = '1.2.840.113549.1.12.1.4'
const OID_PBE_SHA_RC2_128 = '1.2.840.113549.1.12.1.5'
const OID_PBE_SHA_RC2_40 = '1.2.840.113549.1.12.1.6'

const ROWS: Record<string, { keyBytes: number; cipher: 'des-ede3-cbc' | 'rc2'; rc2Bits?: number }> = {
  [OID_PBE_SHA_3DES]: { keyBytes: 24, cipher: 'des-ede3-cbc' },
  [OID_PBE_SHA_2DES]: { keyBytes: 16, cipher: 'des-ede3-cbc' },
  [OID_PBE_SHA_RC2_128]: { keyBytes: 16, cipher: 'rc2', rc2Bits: 128 },
  [OID_PBE_SHA_RC2_40]: { keyBytes: 5, cipher: 'rc2', rc2Bits: 40 },
}

export const LEGACY_PBE_OIDS: ReadonlySet<string> = new Set(Object.keys(ROWS))

/** RFC 7292 Appendix B.2 with SHA-1 (u = 20, v = 64); id 1 = key, 2 = IV. */
export function pkcs12Kdf(password: Uint8Array, salt: Uint8Array, iterations: number, id: number, n: number): Buffer {
  const v = 64
  const fill = (src: Uint8Array): Buffer => {
    if (src.length === 0) return Buffer.alloc(0)
    const len = v * Math.ceil(src.length / v)
    const out = Buffer.alloc(len)
    for (let i = 0; i < len; i++) out[i] = src[i % src.length]!
    return out
  }
  const D = Buffer.alloc(v, id)
  const I = Buffer.concat([fill(salt), fill(password)])
  const out: Buffer[] = []
  let have = 0
  while (have < n) {
    let A = createHash('sha1').update(D).update(I).digest()
    for (let i = 1; i < iterations; i++) A = createHash('sha1').update(A).digest()
    out.push(A)
    have += A.length
    const B = fill(A)
    for (let j = 0; j < I.length; j += v) { // I_j = (I_j + B + 1) mod 2^(8v)
      let carry = 1
      for (let k = v - 1; k >= 0; k--) {
        const s = I[j + k]! + B[k]! + carry
        I[j + k] = s & 0xff
        carry = s >> 8
      }
    }
  }
  return Buffer.concat(out).subarray(0, n)
}

/** Decrypts a legacy PBE content; throws Error('bad') for a wrong password (padding). */
export function decryptLegacyPbe(oid: string, paramsDer: Buffer, ciphertext: ArrayBuffer, password: Uint8Array): ArrayBuffer {
  const row = ROWS[oid]
  if (row === undefined) throw new Error('unsupported')
  const asn = asn1js.fromBER(new Uint8Array(paramsDer))
  const seq = asn.result as asn1js.Sequence
  const salt = (seq.valueBlock.value[0] as asn1js.OctetString).valueBlock.valueHexView
  const iterations = (seq.valueBlock.value[1] as asn1js.Integer).valueBlock.valueDec
  if (!(iterations > 0 && iterations <= 10_000_000)) throw new Error('bad')
  const key = pkcs12Kdf(password, salt, iterations, 1, row.keyBytes)
  const iv = pkcs12Kdf(password, salt, iterations, 2, 8)
  const data = Buffer.from(ciphertext)
  let plain: Buffer
  if (row.cipher === 'des-ede3-cbc') {
    const k = row.keyBytes === 16 ? Buffer.concat([key, key.subarray(0, 8)]) : key
    const d = createDecipheriv('des-ede3-cbc', k, iv)
    plain = Buffer.concat([d.update(data), d.final()])
  } else {
    plain = rc2CbcDecrypt(key, row.rc2Bits!, iv, data)
  }
  return plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.length) as ArrayBuffer
}

// RFC 2268 §2: PITABLE, a permutation of 0..255 from the digits of pi.
const PITABLE = Buffer.from(
  'd978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2' +
  '179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e82' +
  '54d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626' +
  '6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed7' +
  '08e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ec' +
  'c2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731' +
  '2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a9' +
  '0d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad',
  'hex')

/** RFC 2268 §2 key expansion with effective key bits `bits`: 64 16-bit words. */
function rc2Expand(key: Buffer, bits: number): Uint16Array {
  const P = PITABLE
  const L = Buffer.alloc(128)
  key.copy(L)
  const T = key.length
  const T8 = Math.ceil(bits / 8)
  const TM = 255 % 2 ** (8 + bits - 8 * T8)
  for (let i = T; i < 128; i++) L[i] = P[(L[i - 1]! + L[i - T]!) & 0xff]!
  L[128 - T8] = P[L[128 - T8]! & TM]!
  for (let i = 127 - T8; i >= 0; i--) L[i] = P[L[i + 1]! ^ L[i + T8]!]!
  const K = new Uint16Array(64)
  for (let i = 0; i < 64; i++) K[i] = L[2 * i]! | (L[2 * i + 1]! << 8)
  return K
}

function rc2DecryptBlock(K: Uint16Array, b: Buffer): Buffer {
  const R = [b.readUInt16LE(0), b.readUInt16LE(2), b.readUInt16LE(4), b.readUInt16LE(6)]
  const s = [1, 2, 3, 5]
  let j = 63
  const rmix = (): void => {
    for (let i = 3; i >= 0; i--) {
      R[i] = ((R[i]! << (16 - s[i]!)) | (R[i]! >> s[i]!)) & 0xffff
      R[i] = (R[i]! - K[j--]! - (R[(i + 3) % 4]! & R[(i + 2) % 4]!) - (~R[(i + 3) % 4]! & R[(i + 1) % 4]! & 0xffff)) & 0xffff
    }
  }
  const rmash = (): void => {
    for (let i = 3; i >= 0; i--) R[i] = (R[i]! - K[R[(i + 3) % 4]! & 63]!) & 0xffff
  }
  for (let r = 0; r < 5; r++) rmix()
  rmash()
  for (let r = 0; r < 6; r++) rmix()
  rmash()
  for (let r = 0; r < 5; r++) rmix()
  const out = Buffer.alloc(8)
  R.forEach((w, i) => out.writeUInt16LE(w, 2 * i))
  return out
}

function rc2CbcDecrypt(key: Buffer, bits: number, iv: Buffer, data: Buffer): Buffer {
  if (data.length === 0 || data.length % 8 !== 0) throw new Error('bad')
  const K = rc2Expand(key, bits)
  const out = Buffer.alloc(data.length)
  let prev = iv
  for (let i = 0; i < data.length; i += 8) {
    const c = data.subarray(i, i + 8)
    const p = rc2DecryptBlock(K, c)
    for (let k = 0; k < 8; k++) out[i + k] = p[k]! ^ prev[k]!
    prev = c
  }
  const pad = out[out.length - 1]!
  if (pad < 1 || pad > 8 || !out.subarray(out.length - pad).every((x) => x === pad)) throw new Error('bad')
  return out.subarray(0, out.length - pad)
}
