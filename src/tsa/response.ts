// RFC 3161 §2.4.2 TimeStampResp: PKIStatusInfo and, when granted, the token. Built by our TSA; parsed by
// our client, which keeps the token's bytes exactly as the TSA sent them (they are the evidence).
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { FAILURE, type FailureInfo } from './request.js'
import { Asn1Error, parseOne, toBuffer } from './der.js'

export const PKI_STATUS = { granted: 0, grantedWithMods: 1, rejection: 2, waiting: 3 } as const

/** PKIFailureInfo as a DER named BIT STRING: one bit set, trailing zero bits dropped (X.690 §11.2.2). */
function failureBits(f: FailureInfo): asn1js.BitString {
  const bit = FAILURE[f]
  const bytes = Buffer.alloc(Math.floor(bit / 8) + 1)
  bytes[bytes.length - 1] = 0x80 >> bit % 8
  return new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (bit % 8) })
}

export function grantedResponse(token: Buffer): Buffer {
  const tokenSchema = parseOne(token, 'TimeStampToken')
  const seq = new asn1js.Sequence({
    value: [new pkijs.PKIStatusInfo({ status: PKI_STATUS.granted }).toSchema(), tokenSchema],
  })
  return toBuffer(seq.toBER())
}

export function rejectedResponse(failure: FailureInfo, text: string): Buffer {
  const status = new pkijs.PKIStatusInfo({
    status: PKI_STATUS.rejection,
    statusStrings: [new asn1js.Utf8String({ value: text.slice(0, 200) })],
    failInfo: failureBits(failure),
  })
  return toBuffer(new asn1js.Sequence({ value: [status.toSchema()] }).toBER())
}

export type ParsedResponse =
  | { granted: true; token: Buffer }
  | { granted: false; status: number; text: string; failure: string[] }

/** Parses a TimeStampResp. Throws Asn1Error on anything that is not one. */
export function parseResponse(der: Uint8Array): ParsedResponse {
  const outer = parseOne(der, 'TimeStampResp')
  if (!(outer instanceof asn1js.Sequence)) throw new Asn1Error('TimeStampResp: not a SEQUENCE')
  let status: pkijs.PKIStatusInfo
  try {
    status = new pkijs.PKIStatusInfo({ schema: outer.valueBlock.value[0] })
  } catch {
    throw new Asn1Error('TimeStampResp: no PKIStatusInfo')
  }
  const tokenPart = outer.valueBlock.value[1]
  if (outer.valueBlock.value.length > 2) throw new Asn1Error('TimeStampResp: unexpected members')
  // RFC 3161 §2.4.2: granted (0) and grantedWithMods (1) carry a token; everything else must not.
  if (status.status === PKI_STATUS.granted || status.status === PKI_STATUS.grantedWithMods) {
    if (!tokenPart) throw new Asn1Error('TimeStampResp: granted without a token')
    return { granted: true, token: Buffer.from(tokenPart.valueBeforeDecodeView) }
  }
  const text = (status.statusStrings ?? []).map((s) => s.valueBlock.value).join('; ')
  const failure = status.failInfo
    ? (Object.keys(FAILURE) as FailureInfo[]).filter((f) => {
        const bytes = status.failInfo!.valueBlock.valueHexView
        const bit = FAILURE[f]
        return ((bytes[Math.floor(bit / 8)] ?? 0) & (0x80 >> bit % 8)) !== 0
      })
    : []
  return { granted: false, status: status.status, text, failure }
}
