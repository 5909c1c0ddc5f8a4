// EME-OAEP decoding (RFC 8017 §7.1.2 step 3) with SHA-256, MGF1-SHA-256 and an empty label, for a
// token that decrypts raw RSA (CKM_RSA_X_509) but not CKM_RSA_PKCS_OAEP with SHA-256: SoftHSM 2.6
// accepts OAEP with SHA-1 only. The private key stays on the token; only the padding is removed here.
// Every check is folded into one flag and the whole block is scanned, so the time taken does not
// say which check failed (Manger's attack needs that signal); the one error says nothing either.
import { createHash } from 'node:crypto'

const H_LEN = 32
const L_HASH = createHash('sha256').update(Buffer.alloc(0)).digest() // the empty label

function mgf1(seed: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length)
  const counter = Buffer.alloc(4)
  for (let done = 0, i = 0; done < length; i++, done += H_LEN) {
    counter.writeUInt32BE(i)
    createHash('sha256').update(seed).update(counter).digest().copy(out, done, 0, Math.min(H_LEN, length - done))
  }
  return out
}

/** The message M from the encoded block EM (k bytes, the raw RSA output), or throws one vague error. */
export function oaepSha256Decode(em: Buffer, k: number): Buffer {
  if (em.length > k || k < 2 * H_LEN + 2) throw new Error('decryption failed')
  const block = Buffer.concat([Buffer.alloc(k - em.length), em])
  const maskedSeed = block.subarray(1, 1 + H_LEN)
  const maskedDb = block.subarray(1 + H_LEN)
  const seedMask = mgf1(maskedDb, H_LEN)
  const seed = Buffer.alloc(H_LEN)
  for (let i = 0; i < H_LEN; i++) seed[i] = maskedSeed[i]! ^ seedMask[i]!
  const dbMask = mgf1(seed, maskedDb.length)
  const db = Buffer.alloc(maskedDb.length)
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i]! ^ dbMask[i]!
  let bad = block[0]!
  for (let i = 0; i < H_LEN; i++) bad |= db[i]! ^ L_HASH[i]!
  // PS = zero bytes, then 0x01: find the first non-zero byte after lHash without stopping early.
  let found = 0, index = 0, invalid = 0
  for (let i = H_LEN; i < db.length; i++) {
    const b = db[i]!
    const isOne = +(b === 1), isZero = +(b === 0)
    const first = isOne & (found ^ 1)
    index = first ? i : index
    invalid |= (found ^ 1) & (isOne ^ 1) & (isZero ^ 1)
    found |= isOne
  }
  if ((bad | invalid | (found ^ 1)) !== 0) throw new Error('decryption failed')
  return Buffer.from(db.subarray(index + 1))
}
