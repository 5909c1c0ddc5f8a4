// One parse per certificate, shared by path validation (validate.ts), the role and path-constraint
// rules (roles.ts) and CRL lookups (crl.ts). A circular's sender validates a new certificate for each
// recipient twice (encryption at seal, the receipt signer after delivery, PROTOCOL.md §17): parsing
// each DER once, by fingerprint, instead of once per check and per certificate object, is what keeps
// that cold path cheap (test/bench/pki-validate.ts). Certificates are immutable, so a parse keyed by
// the SHA-256 of the DER is the parse of every object with those bytes.
import type { X509Certificate } from 'node:crypto'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { children, content, expectTag, raw, readOid, readTlv } from '../crypto/cms/der-read.js'
import { fingerprint } from './cert.js'
import { OID_EXT_BASIC_CONSTRAINTS, OID_EXT_KEY_USAGE } from './oids.js'

/** RFC 5280 §4.2.1.3 KeyUsage bits, as a mask of 1 << bit number (digitalSignature = bit 0). */
export const KEY_USAGE_BIT = {
  digitalSignature: 0, nonRepudiation: 1, keyEncipherment: 2, dataEncipherment: 3,
  keyAgreement: 4, keyCertSign: 5, cRLSign: 6, encipherOnly: 7, decipherOnly: 8,
} as const
export type KeyUsageName = keyof typeof KEY_USAGE_BIT

export interface CertFacts {
  /** RFC 5280 §4.2.1.9 basicConstraints: cA, and pathLenConstraint when present. */
  readonly ca: boolean
  readonly pathLength: number | undefined
  /** RFC 5280 §4.2.1.3: mask of 1 << KEY_USAGE_BIT; undefined when the extension is absent. */
  readonly keyUsage: number | undefined
  readonly extensions: ReadonlyArray<{ readonly oid: string; readonly critical: boolean }>
  /** Issuer and subject Name, hex DER: how a CRL is matched to its issuer (RFC 5280 §6.3.3 (b)). */
  readonly issuerKey: string
  readonly subjectKey: string
}

// The facts are small and kept for many certificates (a directory of thousands of agencies); a
// pkijs parse tree is large (tens of KB) and only path building needs it, so few are kept.
const MAX_ENTRIES = 20_000
const MAX_PARSED = 1_024
const cache = new Map<string, CertFacts>()
const parsed = new Map<string, pkijs.Certificate>()

/** The pkijs parse of `cert` for path building (validate.ts), kept for the most recent ones: the
 *  CA certificates every path goes through stay, a leaf validated once goes. Throws on bad DER. */
export function pkijsOf(cert: X509Certificate): pkijs.Certificate {
  const fp = fingerprint(cert)
  let p = parsed.get(fp)
  if (p === undefined) {
    p = pkijs.Certificate.fromBER(cert.raw)
    if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!)
  } else {
    parsed.delete(fp) // most recently used last
  }
  parsed.set(fp, p)
  return p
}

/** The facts of `cert`, parsed once per DER. Throws an Error when the certificate or one of the
 *  extensions read here is malformed (callers turn that into a refusal). */
export function certFacts(cert: X509Certificate): CertFacts {
  const fp = fingerprint(cert)
  let f = cache.get(fp)
  if (f === undefined) {
    f = parse(cert.raw)
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!)
    cache.set(fp, f)
  }
  return f
}

/** Read from the DER directly (RFC 5280 §4.1), not through a pkijs parse: a circular's sender meets a
 *  new leaf per recipient twice (issue 16 item 3), and a whole-certificate pkijs parse cost more than
 *  its path validation. OpenSSL (X509Certificate) already parsed the same bytes. */
function parse(der: Buffer): CertFacts {
  const cert = readTlv(der, 0)
  if (cert.tag !== 0x30 || cert.next !== der.length) throw new Error('the certificate is not one DER SEQUENCE')
  const tbs = children(der, expectTag(children(der, cert)[0], 0x30, 'TBSCertificate'))
  let i = tbs[0]?.tag === 0xa0 ? 1 : 0 // version [0] EXPLICIT
  i += 2 // serialNumber, signature
  const issuer = expectTag(tbs[i++], 0x30, 'issuer')
  i++ // validity
  const subject = expectTag(tbs[i++], 0x30, 'subject')
  i++ // subjectPublicKeyInfo
  while (tbs[i] !== undefined && (tbs[i]!.tag & 0x1f) !== 3) i++ // issuerUniqueID [1], subjectUniqueID [2]
  const extensions: Array<{ oid: string; critical: boolean }> = []
  let ca = false
  let pathLength: number | undefined
  let keyUsage: number | undefined
  const wrapper = tbs[i]
  if (wrapper !== undefined) {
    const list = expectTag(children(der, expectTag(wrapper, 0xa3, 'extensions'))[0], 0x30, 'Extensions')
    for (const e of children(der, list)) {
      const parts = children(der, expectTag(e, 0x30, 'Extension'))
      const oid = readOid(der, parts[0])
      const hasCritical = parts[1]?.tag === 0x01
      const critical = hasCritical && content(der, parts[1]!)[0] !== 0
      const valueTlv = expectTag(parts[hasCritical ? 2 : 1], 0x04, 'extnValue')
      if (parts.length !== (hasCritical ? 3 : 2)) throw new Error('an Extension has unexpected members')
      const value = new Uint8Array(content(der, valueTlv))
      if (oid === OID_EXT_BASIC_CONSTRAINTS) ({ ca, pathLength } = basicConstraints(value))
      if (oid === OID_EXT_KEY_USAGE) keyUsage = keyUsageMask(value)
      extensions.push({ oid, critical })
    }
  }
  return { ca, pathLength, keyUsage, extensions, issuerKey: raw(der, issuer).toString('hex'), subjectKey: raw(der, subject).toString('hex') }
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL } */
function basicConstraints(der: Uint8Array): { ca: boolean; pathLength: number | undefined } {
  const seq = strict(der)
  if (!(seq instanceof asn1js.Sequence)) throw new Error('basicConstraints is not a SEQUENCE')
  let ca = false
  let pathLength: number | undefined
  for (const item of seq.valueBlock.value) {
    if (item instanceof asn1js.Boolean) ca = item.valueBlock.value
    else if (item instanceof asn1js.Integer && !item.valueBlock.isHexOnly && item.valueBlock.valueDec >= 0) pathLength = item.valueBlock.valueDec
    else throw new Error('basicConstraints has an unexpected member')
  }
  return { ca, pathLength }
}

/** KeyUsage ::= BIT STRING; bit 0 is the most significant bit of the first octet (X.690 §8.6.2). */
function keyUsageMask(der: Uint8Array): number {
  const bits = strict(der)
  if (!(bits instanceof asn1js.BitString)) throw new Error('keyUsage is not a BIT STRING')
  const bytes = bits.valueBlock.valueHexView
  let mask = 0
  for (let bit = 0; bit < Math.min(bytes.length * 8, 9); bit++) {
    if ((bytes[bit >> 3]! & (0x80 >> (bit & 7))) !== 0) mask |= 1 << bit
  }
  return mask
}

function strict(der: Uint8Array): asn1js.AsnType {
  const r = asn1js.fromBER(der)
  if (r.offset === -1 || r.offset !== der.byteLength) throw new Error('a certificate extension is not well-formed DER')
  return r.result
}

