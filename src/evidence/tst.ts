// What the evidence builder needs to know about an RFC 3161 time-stamp token without trusting it:
// its message imprint (to tell which signature it stamps) and the certificates it carries (to write
// the TSA chain for auditors). Verification is the time-stamping module's verifyTimeStampToken,
// injected into the verifier (PROTOCOL.md §13).
import { X509Certificate } from 'node:crypto'
import * as pkijs from 'pkijs'
import { children, expectTag, octetString, raw, readOid, readTlv } from '../crypto/cms/der-read.js'
import { OID_SIGNED_DATA } from '../crypto/cms/oids.js'
import type { Check } from '../errors.js'
import type { TrustAnchors } from '../pki/validate.js'

/** The time-stamping module's verifier (contract: src/tsa/, PROTOCOL.md §13). `imprint` is the
 *  SHA-256 digest the token must cover: SHA-256 of the raw signature value it stamps. */
export type TimeStampVerifier = (
  token: Buffer,
  opts: { imprint: Buffer; anchors: TrustAnchors; nonce?: bigint },
) => Promise<Check<{ genTime: Date; tsaChain: X509Certificate[] }>>

export interface TokenFacts {
  readonly imprint: Buffer // messageImprint.hashedMessage
  readonly genTime: Date
  readonly certificates: X509Certificate[] // as carried in SignedData.certificates, in that order
}

/** RFC 3161 §2.4.2: TimeStampToken = ContentInfo(SignedData(eContent = DER TSTInfo)). Throws if not.
 *  The SignedData is walked with the CMS reader (pkijs parses certificates slowly); only the small
 *  TSTInfo goes through pkijs. */
export function tokenFacts(token: Buffer): TokenFacts {
  const ci = children(token, expectTag(readTlv(token, 0), 0x30, 'ContentInfo'))
  if (readOid(token, ci[0]) !== OID_SIGNED_DATA) throw new Error('not a CMS SignedData')
  const sd = children(token, expectTag(children(token, expectTag(ci[1], 0xa0, 'content'))[0], 0x30, 'SignedData'))
  const eci = children(token, expectTag(sd[2], 0x30, 'encapContentInfo'))
  const e = children(token, expectTag(eci[1], 0xa0, 'eContent'))[0]
  if (e === undefined) throw new Error('no TSTInfo')
  const info = pkijs.TSTInfo.fromBER(octetString(token, e))
  const certSet = sd.slice(3).find((x) => x.tag === 0xa0) // certificates [0] IMPLICIT SET OF
  const certificates = certSet === undefined ? [] : children(token, certSet).filter((c) => c.tag === 0x30).map((c) => new X509Certificate(raw(token, c)))
  return { imprint: Buffer.from(info.messageImprint.hashedMessage.valueBlock.valueHexView), genTime: info.genTime, certificates }
}
