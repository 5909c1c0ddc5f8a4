// The jose-v1 envelope header (PROTOCOL.md §5.2): a closed set of JWE protected header members,
// readable before any key is used, so a node can route, dedupe and refuse without decrypting.
import { createHash, type X509Certificate } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import type { EnvelopeHeader } from '../types.js'
import { decodeStrict } from './b64.js'
import { checkMembers } from './compact.js'
import { parseCompactJwe, type ParsedJwe } from './jwe.js'

export const V1 = {
  id: 'jose-v1',
  mediaType: 'application/jose', // RFC 7515 §9.2.1 / RFC 7516 §9.2.1 (compact serialization)
  receiptMediaType: 'application/jose',
  envelopeTyp: 'saraban-envelope+jwe',
  bundleCty: 'saraban-bundle',
  letterTyp: 'saraban-letter+jws',
  receiptTyp: 'saraban-receipt+jws',
  version: 1,
} as const

/** Longest JWE protected header accepted (base64url characters), checked before decoding. */
export const MAX_JWE_HEADER_CHARS = 16 * 1024

// PROTOCOL.md §1: agency ids and message ids (lowercase UUID).
import { AGENCY_ID, MESSAGE_ID } from '../../domain/ids.js'
export { AGENCY_ID, MESSAGE_ID }

const MEMBERS = ['alg', 'enc', 'typ', 'cty', 'x5t#S256', 'srb_v', 'srb_mid', 'srb_from', 'srb_to'] as const

/** x5t#S256 (RFC 7515 §4.1.8) of the recipient encryption certificate. */
export function certThumbprint(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('base64url')
}

/** The profile's header members, in wire order after "alg" and "enc" (the JWE layer adds those and "epk"). */
export function v1HeaderFields(h: { messageId: string; from: string; to: string; recipientCert: X509Certificate }): Record<string, unknown> {
  return {
    typ: V1.envelopeTyp,
    cty: V1.bundleCty,
    'x5t#S256': certThumbprint(h.recipientCert),
    srb_v: V1.version,
    srb_mid: h.messageId,
    srb_from: h.from,
    srb_to: h.to,
  }
}

function malformed(detail: string, field: string): SarabanError {
  return new SarabanError('ERR_ENVELOPE_MALFORMED', detail, { field })
}

/** Parse only, no crypto: the JWE structure plus the jose-v1 header rules. */
export function parseV1Envelope(envelope: Buffer): { jwe: ParsedJwe; header: EnvelopeHeader } {
  const jwe = parseCompactJwe(envelope, MAX_JWE_HEADER_CHARS)
  const h = jwe.header
  if (h['typ'] !== V1.envelopeTyp || h['srb_v'] !== V1.version) {
    throw new SarabanError('ERR_PROFILE_UNSUPPORTED', `Not a jose-v1 envelope (typ "${V1.envelopeTyp}", srb_v ${V1.version}).`, { field: 'typ' })
  }
  checkMembers(h, [...MEMBERS, ...jwe.km.headerMembers], [], 'JWE')
  if (h['cty'] !== V1.bundleCty) throw malformed(`JWE "cty" must be "${V1.bundleCty}".`, 'cty')
  const kid = h['x5t#S256']
  if (typeof kid !== 'string' || decodeStrict(Buffer.from(kid, 'latin1'))?.length !== 32) {
    throw malformed('JWE "x5t#S256" must be the base64url SHA-256 of the recipient certificate.', 'x5t#S256')
  }
  const mid = h['srb_mid']
  if (typeof mid !== 'string' || !MESSAGE_ID.test(mid)) throw malformed('JWE "srb_mid" must be a lowercase UUID.', 'srb_mid')
  for (const f of ['srb_from', 'srb_to'] as const) {
    const v = h[f]
    if (typeof v !== 'string' || !AGENCY_ID.test(v)) throw malformed(`JWE "${f}" must be an agency id.`, f)
  }
  return {
    jwe,
    header: { profile: V1.id, messageId: mid, from: h['srb_from'] as string, to: h['srb_to'] as string, recipientKeyId: kid },
  }
}
