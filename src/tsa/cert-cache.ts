// Parsed facts about the few certificates time-stamp tokens carry (the federation's TSAs and their CAs),
// cached by the SHA-256 of their DER: pkijs takes ~5 ms to parse a certificate, and every token carries
// the same two or three. Bounded, so a stream of odd tokens cannot grow it.
import { createHash, X509Certificate } from 'node:crypto'
import * as pkijs from 'pkijs'
import { OID_EXT_SUBJECT_KEY_ID } from '../pki/oids.js'
import type * as asn1js from 'asn1js'

export interface CertFacts {
  readonly cert: X509Certificate
  readonly pkijs: pkijs.Certificate
  /** DER of the issuer Name, for an exact IssuerAndSerialNumber match */
  readonly issuerDer: Buffer
  readonly serialHex: string
  readonly skiHex: string | undefined
}

const MAX = 256
const cache = new Map<string, CertFacts>()

export function certFacts(der: Uint8Array | X509Certificate): CertFacts {
  const raw = der instanceof X509Certificate ? der.raw : Buffer.from(der)
  const key = createHash('sha256').update(raw).digest('hex')
  let f = cache.get(key)
  if (f === undefined) {
    const pk = pkijs.Certificate.fromBER(raw)
    const ski = pk.extensions?.find((e) => e.extnID === OID_EXT_SUBJECT_KEY_ID)?.parsedValue as asn1js.OctetString | undefined
    f = {
      cert: der instanceof X509Certificate ? der : new X509Certificate(raw),
      pkijs: pk,
      issuerDer: Buffer.from(pk.issuer.toSchema().toBER()),
      serialHex: Buffer.from(pk.serialNumber.valueBlock.valueHexView).toString('hex'),
      skiHex: ski ? Buffer.from(ski.valueBlock.valueHexView).toString('hex') : undefined,
    }
    if (cache.size >= MAX) cache.delete(cache.keys().next().value!)
    cache.set(key, f)
  }
  return f
}
