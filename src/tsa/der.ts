// Small asn1js helpers shared by the time-stamping code. Parsing is strict about framing: one DER/BER
// object that uses every input byte, under a size bound (asn1js alone accepts trailing bytes).
import * as asn1js from 'asn1js'
import { checkBer, DerError } from '../crypto/cms/der-read.js'

/** Largest request, response or token we parse (a token with a 3-certificate chain is ~4 KB). */
export const MAX_TSP_BYTES = 256 * 1024

export class Asn1Error extends Error {}

/** Parses exactly one ASN.1 object spanning all of `bytes`. With `der`, also requires the one DER
 *  encoding of what was parsed (X.690 §10: definite minimal lengths, etc.): re-encoding must give the
 *  same bytes, so no byte of a token can change without changing its meaning. Throws Asn1Error. */
export function parseOne(bytes: Uint8Array, what: string, der = false): asn1js.AsnType {
  if (bytes.length === 0 || bytes.length > MAX_TSP_BYTES) throw new Asn1Error(`${what}: ${bytes.length} bytes is outside 1..${MAX_TSP_BYTES}`)
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // PROTOCOL.md §12.7: element count and depth before asn1js builds an object per element.
  try {
    checkBer(Buffer.from(view.buffer, view.byteOffset, view.byteLength))
  } catch (e) {
    if (e instanceof DerError) throw new Asn1Error(`${what}: ${e.message}`)
    throw e
  }
  const r = asn1js.fromBER(view)
  if (r.offset === -1 || r.result.error) throw new Asn1Error(`${what}: not BER/DER (${r.result.error || 'parse error'})`)
  if (r.offset !== bytes.length) throw new Asn1Error(`${what}: ${bytes.length - r.offset} trailing bytes after the object`)
  if (der && !Buffer.from(r.result.toBER()).equals(Buffer.from(view))) throw new Asn1Error(`${what}: not DER`)
  return r.result
}

export function toBuffer(ab: ArrayBuffer | Uint8Array): Buffer {
  return ab instanceof Uint8Array ? Buffer.from(ab.buffer, ab.byteOffset, ab.byteLength) : Buffer.from(ab)
}

/** The content of an OCTET STRING, primitive or constructed (BER). */
export function octets(os: asn1js.OctetString): Buffer {
  return toBuffer(os.getValue())
}

/** A positive INTEGER as a bigint (nonces and serial numbers compare by value, not by encoding). */
export function intValue(i: asn1js.Integer): bigint {
  const hex = Buffer.from(i.valueBlock.valueHexView).toString('hex')
  return hex === '' ? 0n : BigInt.asIntN(hex.length * 4, BigInt('0x' + hex))
}

/** A positive INTEGER of `bytes` random bytes, minimally encoded (top byte 0x40..0x7f). */
export function randomPositive(random: Uint8Array): asn1js.Integer {
  const b = Buffer.from(random)
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x40
  return new asn1js.Integer({ valueHex: b })
}

/** DER SET OF: elements sorted by their encodings (X.690 §11.6), which OpenSSL re-creates when it
 *  checks a signature over signed attributes. */
export function derSetOf(encoded: Buffer[]): Buffer[] {
  return [...encoded].sort(Buffer.compare)
}
