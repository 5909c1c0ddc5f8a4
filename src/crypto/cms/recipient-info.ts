// RecipientInfo kinds (RFC 5652 §6.2) as rows of a table (house style §2): RSA recipients get
// KeyTransRecipientInfo with RSAES-OAEP, EC P-256 recipients KeyAgreeRecipientInfo with ECDH
// (PROTOCOL.md §12.4). Any other kind (kekri, pwri, ori) is refused.
import { KeyObject, type X509Certificate } from 'node:crypto'
import { keyObjectHandle, type PrivateKeyHandle } from '../keys/handle.js'
import type { Tlv } from './der-read.js'
import { encodeKari, fitsKari, parseKari } from './kari.js'
import { encodeKtri, fitsKtri, parseKtri } from './ktri.js'

export interface ParsedRecipient {
  readonly kind: 'ktri' | 'kari'
  /** "ias:…" or "ski:…" (cert-id.ts): which certificate's key opens it. */
  readonly keyId: string
  /** The CEK, or undefined for any failure (the caller goes on with a random key: no oracle). A key
   *  on a token unwraps through its handle (issue 12 §1); a KeyObject is wrapped in one. */
  unwrap(key: KeyObject | PrivateKeyHandle): Buffer | undefined
}

/** The handle for a recipient key, or undefined when no handle can hold it (a kind §1.2 does not allow). */
export function recipientHandle(key: KeyObject | PrivateKeyHandle): PrivateKeyHandle | undefined {
  if (!(key instanceof KeyObject)) return key
  try {
    return keyObjectHandle(key)
  } catch {
    return undefined
  }
}

interface RecipientRow {
  readonly kind: ParsedRecipient['kind']
  readonly tag: number // the RecipientInfo CHOICE tag
  fits(publicKey: KeyObject): boolean
  encode(cek: Buffer, recipient: X509Certificate): Buffer
  parse(buf: Buffer, t: Tlv): ParsedRecipient | 'unsupported'
}

const ROWS: readonly RecipientRow[] = [
  { kind: 'ktri', tag: 0x30, fits: fitsKtri, encode: encodeKtri, parse: parseKtri },
  { kind: 'kari', tag: 0xa1, fits: fitsKari, encode: encodeKari, parse: parseKari },
]

export function recipientRowFor(cert: X509Certificate): RecipientRow | undefined {
  return ROWS.find((r) => r.fits(cert.publicKey))
}

export function parseRecipientInfo(buf: Buffer, t: Tlv): ParsedRecipient | 'unsupported' {
  const row = ROWS.find((r) => r.tag === t.tag)
  return row === undefined ? 'unsupported' : row.parse(buf, t)
}
