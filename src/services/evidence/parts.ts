// The pieces every entry of an evidence bundle v2 is made of (PROTOCOL.md §8.5): the list of parts
// (shared parts once), the time-stamp tokens found by imprint, the CRLs in force at given times, and
// the TSA chain of a token.
import { createHash } from 'node:crypto'
import type { ManifestMessage, ManifestPart, PartRole } from '../../evidence/manifest.js'
import type { VerifiedReceipt } from '../../crypto/types.js'
import { chainPem } from '../../evidence/forms.js'
import { tokenFacts } from '../../evidence/tst.js'
import type { EvidenceDeps, StoredToken } from './build.js'

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

// The directory file of each message (PROTOCOL.md §8.5): a national federation's signed directory is
// megabytes, and a circular's thousands of messages name the same one; it was converted and hashed
// per message, twice per bundle (issue 16 item 3: most of a 7,850-message bundle's time).
let lastDirectory: { jws: string; path: string; bytes: Buffer } | undefined

/** The archive path and bytes of a signed directory, made once for consecutive messages citing it. */
export function directoryFile(jws: string): { path: string; bytes: Buffer } {
  if (lastDirectory?.jws !== jws) lastDirectory = { jws, path: `directory/${sha256(jws).slice(0, 16)}.jws`, bytes: Buffer.from(jws, 'utf8') }
  return lastDirectory
}

/** Where messageParts() and noticeParts() put a bundle's files (stream.ts: digests only). */
export interface PartSink {
  add(path: string, role: PartRole, data: Buffer): string
}

export class Parts implements PartSink {
  readonly list: Array<ManifestPart & { data: Buffer }> = []
  readonly #paths = new Set<string>()
  add(path: string, role: PartRole, data: Buffer): string {
    if (this.#paths.has(path)) return path // shared parts (attachments, directory, CRLs) once
    this.#paths.add(path)
    this.list.push({ path, role, size: data.length, sha256: sha256(data), data })
    return path
  }
}

/** The tokens of a message's signature and of its receipt, found among its stored tokens by their
 *  message imprints (SHA-256 of each signature value, §8.5, §13.2). */
export function tokensByImprint(tokens: readonly StoredToken[], signatureImprint: Buffer, receiptImprint: Buffer | undefined): [Buffer | undefined, Buffer | undefined] {
  let forSignature: Buffer | undefined
  let forReceipt: Buffer | undefined
  for (const t of tokens) {
    let imprint: Buffer
    try {
      imprint = tokenFacts(t.token).imprint
    } catch {
      continue // not a token we can read; nothing to prove with it
    }
    if (forSignature === undefined && imprint.equals(signatureImprint)) forSignature = t.token
    else if (forReceipt === undefined && receiptImprint !== undefined && imprint.equals(receiptImprint)) forReceipt = t.token
  }
  return [forSignature, forReceipt]
}

/** The CRLs in force at each of the times, once each (PROTOCOL.md §8.5, §15). */
export function crlParts(deps: EvidenceDeps, shared: PartSink, times: ReadonlyArray<Date | undefined>): string[] {
  const crls: string[] = []
  for (const at of times) {
    for (const der of at === undefined ? [] : deps.crlsAt?.(at) ?? []) {
      const path = shared.add(`crl/${sha256(der).slice(0, 16)}.crl`, 'crl', der)
      if (!crls.includes(path)) crls.push(path)
    }
  }
  return crls
}

/** The certificates a token carries, as a shared PEM part. */
export function tsaChain(shared: PartSink, token: Buffer): string {
  const pem = chainPem(tokenFacts(token).certificates)
  return shared.add(`tsa/${sha256(pem).slice(0, 16)}.pem`, 'tsa-chain', pem)
}

export type ReceiptMembers = Pick<ManifestMessage, 'receipt' | 'receiptSigner' | 'receiptTime' | 'receiptTimeProof' | 'receiptImprint' | 'receiptTimestamp' | 'receiptTsa'>

/** The receipt members of a message's or a notice's entry (PROTOCOL.md §8.5), in manifest order: the
 *  receipt as received; when it verified, its signer chain and its time, proven by `token` or claimed. */
export function receiptMembers(own: PartSink, shared: PartSink, dir: string, receiptFile: string,
  r: { receipt: Buffer; verified: VerifiedReceipt | undefined; time: Date | undefined; imprint: Buffer | undefined; token: Buffer | undefined }): ReceiptMembers {
  const m: ReceiptMembers = { receipt: own.add(dir + receiptFile, 'receipt', r.receipt) }
  if (r.verified) {
    m.receiptSigner = own.add(dir + 'receipt-signer.pem', 'receipt-signer-chain', chainPem(r.verified.signerChain))
    m.receiptTime = r.time!.toISOString()
    m.receiptTimeProof = r.token ? 'time-stamp' : 'claimed'
    m.receiptImprint = r.imprint!.toString('hex')
  }
  if (r.token) {
    m.receiptTimestamp = own.add(dir + 'receipt.tsr', 'receipt-timestamp', r.token)
    m.receiptTsa = tsaChain(shared, r.token)
  }
  return m
}
