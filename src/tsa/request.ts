// RFC 3161 §2.4.1 TimeStampReq: built by our client, parsed (strictly) by our TSA.
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { OID_SHA256 } from './oids.js'
import { DIGESTS } from './algorithms.js'
import { Asn1Error, octets, parseOne, toBuffer } from './der.js'

/** PKIFailureInfo bits (RFC 3161 §2.4.2) our TSA answers with. */
export const FAILURE = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  systemFailure: 25,
} as const
export type FailureInfo = keyof typeof FAILURE

export class TspRequestError extends Error {
  constructor(readonly failure: FailureInfo, message: string) {
    super(message)
  }
}

export interface TimeStampRequest {
  /** SHA-256 digest of the datum (PROTOCOL.md §13.2: SHA-256 of the raw signature value). */
  readonly imprint: Buffer
  /** The INTEGER nonce as encoded (RFC 3161 §2.4.1), if any. */
  readonly nonce?: asn1js.Integer
  readonly certReq: boolean
  readonly policy?: string
}

export function buildRequest(req: TimeStampRequest): Buffer {
  if (req.imprint.length !== 32) throw new RangeError('a message imprint is a 32-byte SHA-256 digest')
  const tsq = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID_SHA256 }),
      hashedMessage: new asn1js.OctetString({ valueHex: req.imprint }),
    }),
    ...(req.policy ? { reqPolicy: req.policy } : {}),
    ...(req.nonce ? { nonce: req.nonce } : {}),
    // DEFAULT FALSE is omitted in DER (X.690 §11.5)
    ...(req.certReq ? { certReq: true } : {}),
  })
  return toBuffer(tsq.toSchema().toBER())
}

/** Parses a request for our TSA. Only SHA-256 imprints, no extensions (RFC 3161 §2.4.1: a TSA rejects
 *  extensions it does not know). Throws TspRequestError with the PKIFailureInfo to answer. */
export function parseRequest(der: Uint8Array): TimeStampRequest {
  let tsq: pkijs.TimeStampReq
  try {
    tsq = new pkijs.TimeStampReq({ schema: parseOne(der, 'TimeStampReq') })
  } catch (err) {
    throw new TspRequestError('badDataFormat', err instanceof Asn1Error ? err.message : 'not a TimeStampReq')
  }
  if (tsq.version !== 1) throw new TspRequestError('badRequest', `version ${tsq.version} is not 1`)
  const alg = tsq.messageImprint.hashAlgorithm.algorithmId
  if (alg !== OID_SHA256) throw new TspRequestError('badAlg', `message imprint algorithm ${alg} is not SHA-256`)
  const imprint = octets(tsq.messageImprint.hashedMessage)
  if (imprint.length !== DIGESTS[OID_SHA256]!.size) throw new TspRequestError('badDataFormat', `a SHA-256 imprint of ${imprint.length} bytes`)
  if (tsq.extensions && tsq.extensions.length > 0) throw new TspRequestError('unacceptedExtension', 'request extensions are not supported')
  if (tsq.nonce && tsq.nonce.valueBlock.valueHexView.length > 64) throw new TspRequestError('badRequest', 'a nonce longer than 64 bytes')
  return {
    imprint,
    certReq: tsq.certReq === true,
    ...(tsq.nonce ? { nonce: tsq.nonce } : {}),
    ...(tsq.reqPolicy ? { policy: tsq.reqPolicy } : {}),
  }
}
