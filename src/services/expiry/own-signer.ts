// A node does not sign with its own revoked key (issue 17 item 4; PROTOCOL.md §15.2, §9): no letter,
// notice or cover is sealed with it, and no receipt is signed with it, so letters to the agency are
// refused with a code peers retry (§7.2) until a new signing certificate is in use (rollover, §16.4).
// Asked at each use, from the path validation with the CRLs held now: a new CRL counts at once.
import type { X509Certificate } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import type { TrustAnchors } from '../../pki/validate.js'

const RENEW = 'load a new signing certificate beside the old one (`saraban-node renew` makes the key and request) and have the directory list it; the node takes it into use by itself'

/** Before sealing: throws ERR_SIGNING_CERT_REVOKED for a revoked signing certificate, the path's own
 *  code (ERR_CERT_EXPIRED, ERR_REVOCATION_UNKNOWN, …) for any other failure. */
export async function requireOwnSigner(anchors: TrustAnchors, agency: string, chain: readonly X509Certificate[], now: number): Promise<void> {
  const check = await anchors.validate(chain, { at: new Date(now), role: 'signing' })
  if (check.ok) return
  if (check.code === 'ERR_CERT_REVOKED') {
    throw new SarabanError('ERR_SIGNING_CERT_REVOKED', `The signing certificate of "${agency}" on this node is revoked (${check.reason}): nothing is signed with it until a new one is in use: ${RENEW}.`)
  }
  throw new SarabanError(check.code, `The signing certificate of "${agency}" on this node does not validate: ${check.reason}`)
}

/** Before taking a letter (PROTOCOL.md §4.2, §9): a receipt signed with a revoked key is one the node
 *  cannot stand behind, so the envelope is refused with 503 ERR_RECEIVER_CERT_REVOKED, which the
 *  sender retries (§7.2). Other failures of the node's own path are left to the receipt's signing. */
export async function requireReceiverSigner(anchors: TrustAnchors, agency: string, chain: readonly X509Certificate[], now: number): Promise<void> {
  const check = await anchors.validate(chain, { at: new Date(now), role: 'signing' })
  if (check.ok || check.code !== 'ERR_CERT_REVOKED') return
  throw new SarabanError('ERR_RECEIVER_CERT_REVOKED', `The signing certificate of "${agency}" on this node is revoked by its CA: it takes no letters and signs no receipts until its new certificate is in use. Retry later.`)
}
