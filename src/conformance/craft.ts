// jose-v1 envelopes built piece by piece (PROTOCOL.md §5.2–§5.4) with one piece wrong inside the
// encryption, where no tampering from outside can reach: a signature, a payload member, the bundle's
// line feed. Everything else is sealed with the same functions as the real profile.
import { randomUUID, type X509Certificate } from 'node:crypto'
import { encryptCompact } from '../crypto/jose/jwe.js'
import { signCompact } from '../crypto/jose/jws.js'
import { V1, v1HeaderFields } from '../crypto/jose/v1-header.js'
import type { SignerIdentity } from '../crypto/profiles.js'

export interface CraftInput {
  readonly messageId?: string
  readonly from: string
  readonly to: string
  readonly signer: SignerIdentity
  readonly recipientCert: X509Certificate
  readonly letter: Record<string, unknown>
  /** members replacing or added to the signed payload of §5.4 */
  readonly payloadOver?: Record<string, unknown>
  /** flip one character of the JWS signature part */
  readonly badSignature?: boolean
  /** leave out the line feed between the signed letter and the attachments (§5.3) */
  readonly noLineFeed?: boolean
  /** members replacing or added to the JWE protected header */
  readonly headerOver?: Record<string, unknown>
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

export function craftJoseV1(c: CraftInput): { body: Buffer; messageId: string } {
  const messageId = c.messageId ?? randomUUID()
  const payload = { v: 1, mid: messageId, from: c.from, to: c.to, sentAt: new Date().toISOString(), letter: c.letter, ...c.payloadOver }
  let jws = signCompact(V1.letterTyp, Buffer.from(JSON.stringify(payload), 'utf8'), c.signer)
  if (c.badSignature) {
    const s = jws.lastIndexOf(0x2e) + 1
    const i = s + Math.floor((jws.length - s) / 2) // never the last character (its unused bits, §5.6)
    jws = Buffer.from(jws)
    jws[i] = ALPHABET.charCodeAt((ALPHABET.indexOf(String.fromCharCode(jws[i]!)) + 1) % 64)
  }
  const fields = { ...v1HeaderFields({ messageId, from: c.from, to: c.to, recipientCert: c.recipientCert }), ...c.headerOver }
  const parts = c.noLineFeed ? [jws] : [jws, Buffer.from('\n')]
  return { body: encryptCompact(fields, parts, c.recipientCert.publicKey).envelope, messageId }
}
