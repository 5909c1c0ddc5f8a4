// What the evidence builder needs to know about an RFC 3161 time-stamp token without trusting it:
// its message imprint (to tell which signature it stamps) and the certificates it carries (to write
// the TSA chain for auditors). Verification is the time-stamping module's verifyTimeStampToken,
// injected into the verifier (PROTOCOL.md §13).
import { X509Certificate } from 'node:crypto'
import * as pkijs from 'pkijs'
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

/** RFC 3161 §2.4.2: TimeStampToken = ContentInfo(SignedData(eContent = DER TSTInfo)). Throws if not. */
export function tokenFacts(token: Buffer): TokenFacts {
  const ci = pkijs.ContentInfo.fromBER(token)
  if (ci.contentType !== pkijs.ContentInfo.SIGNED_DATA) throw new Error('not a CMS SignedData')
  const sd = new pkijs.SignedData({ schema: ci.content })
  const e = sd.encapContentInfo.eContent
  if (e === undefined) throw new Error('no TSTInfo')
  const info = pkijs.TSTInfo.fromBER(e.getValue())
  const certificates = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    .map((c) => new X509Certificate(Buffer.from(c.toSchema().toBER())))
  return { imprint: Buffer.from(info.messageImprint.hashedMessage.valueBlock.valueHexView), genTime: info.genTime, certificates }
}
