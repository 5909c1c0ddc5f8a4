// PROTOCOL.md §13.2: what a time-stamp stamps. The message imprint is SHA-256 of the raw signature value
// (JWS signature bytes; CMS SignerInfo.signature), as RFC 3161 Appendix A does for CMS signatures: the
// token then proves that this signature existed at genTime.
import { createHash } from 'node:crypto'

export function imprintOf(signature: Uint8Array): Buffer {
  return createHash('sha256').update(signature).digest()
}
