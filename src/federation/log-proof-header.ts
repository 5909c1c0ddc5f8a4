// PROTOCOL.md §20.5 "The proof with the receipt": the recipient's node may answer a delivered envelope
// with the receipt's inclusion proof in response header Saraban-Log-Proof, whose value is exactly the
// `proof/inclusion` answer for the receipt's `log.index` in the tree of its checkpoint's size, as
// compact JSON. The header is not signed: the sender trusts it only once it leads to the root of the
// checkpoint in the signed receipt (services/evidence/received-proofs.ts).

import { verifyInclusion } from '../tlog/verify.js'

export const LOG_PROOF_HEADER = 'saraban-log-proof'

/** The longest value a sender reads: 64 hashes of 44 base64 characters, quoted, and the numbers. */
export const MAX_LOG_PROOF_CHARS = 4096
const MAX_HASHES = 64
const B64_HASH = /^[A-Za-z0-9+/]{43}=$/

export interface LogProofHeader {
  readonly size: number
  readonly index: number
  readonly proof: Buffer[]
}

/** The header's value parsed, or why it is not one (the sender then asks for the proof, §20.7). */
export function parseLogProofHeader(value: string): LogProofHeader | { error: string } {
  if (value.length > MAX_LOG_PROOF_CHARS) return { error: `longer than ${MAX_LOG_PROOF_CHARS} characters` }
  let v: unknown
  try {
    v = JSON.parse(value)
  } catch {
    return { error: 'not JSON' }
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: 'not a JSON object' }
  const o = v as Record<string, unknown>
  const keys = Object.keys(o).sort().join(',')
  if (keys !== 'index,proof,size') return { error: 'not exactly the members size, index and proof' }
  const { size, index, proof } = o
  if (!Number.isSafeInteger(size) || (size as number) < 1) return { error: 'size is not a whole number from 1' }
  if (!Number.isSafeInteger(index) || (index as number) < 0 || (index as number) >= (size as number)) return { error: 'index is not a whole number below size' }
  if (!Array.isArray(proof) || proof.length > MAX_HASHES || !proof.every((h) => typeof h === 'string' && B64_HASH.test(h))) {
    return { error: `proof is not a list of at most ${MAX_HASHES} base64 SHA-256 hashes` }
  }
  return { size: size as number, index: index as number, proof: proof.map((h: string) => Buffer.from(h, 'base64')) }
}

/** What the signed receipt says: its `log.index`, its checkpoint's size and root, and the leaf hash of
 *  the `message.received` entry rebuilt from its claims (§20.3). */
export interface ProofTarget {
  readonly index: number
  readonly size: number
  readonly root: Buffer
  readonly leafHash: Buffer
}

/** §20.5: the header's proof, kept only if it is for the receipt's index in the tree of the receipt's
 *  checkpoint and leads from the rebuilt entry to that checkpoint's root; otherwise why not. */
export function checkLogProofHeader(value: string, r: ProofTarget): { proof: Buffer[] } | { error: string } {
  const h = parseLogProofHeader(value)
  if ('error' in h) return h
  if (h.index !== r.index) return { error: `it is for entry ${h.index}, the receipt's is ${r.index}` }
  if (h.size !== r.size) return { error: `it is for the tree of ${h.size}, the receipt's checkpoint signs ${r.size}` }
  if (!verifyInclusion(r.leafHash, r.index, r.size, h.proof, r.root)) return { error: 'it does not lead to the root of the receipt\'s checkpoint' }
  return { proof: h.proof }
}
