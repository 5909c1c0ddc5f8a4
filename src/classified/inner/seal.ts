// Making a classified inner envelope on the officer's machine (PROTOCOL.md §19, classified-design.md
// §2): CMS SignedData (eContentType id-data, content attached, one SignerInfo per signing officer)
// over the content bundle, then CMS AuthEnvelopedData (AES-256-GCM) whose plaintext is that
// ContentInfo(SignedData) DER, with one RecipientInfo per officer certificate (RSA: KeyTrans
// RSAES-OAEP-SHA256; EC P-256: KeyAgree ECDH + AES-256 key wrap). Exactly what
// `openssl cms -sign -binary -nodetach` then `openssl cms -encrypt -aes-256-gcm` make.
import { createHash, type X509Certificate } from 'node:crypto'
import { sealAuthEnvelopedFor } from '../../crypto/cms/auth-enveloped.js'
import { OID_DATA } from '../../crypto/cms/oids.js'
import { addCmsSigner, signCmsWith, type HandleSigner, type SignOptions } from '../../crypto/cms/signed-data.js'
import { encodeBundle } from './bundle.js'
import type { ClassifiedLetter } from './types.js'

/** At most this many RecipientInfos (officers of the sender and of every recipient agency). */
export const MAX_INNER_RECIPIENTS = 64
/** At most this many SignerInfos (SECRET and TOP_SECRET need two). */
export const MAX_INNER_SIGNERS = 4

/** The signed content (ContentInfo(SignedData) DER) by one or more officers. */
export function signInner(letter: ClassifiedLetter, attachments: readonly Buffer[], signers: readonly HandleSigner[], opts: SignOptions = {}): Buffer {
  if (signers.length === 0 || signers.length > MAX_INNER_SIGNERS) throw new Error(`signInner: 1 to ${MAX_INNER_SIGNERS} signers`)
  return signCmsWith(OID_DATA, Buffer.concat(encodeBundle(letter, attachments)), signers, opts).der
}

/** A second officer's signature on signed content another officer made (two-person release). */
export function cosignInner(signed: Buffer, signer: HandleSigner, opts: SignOptions = {}): Buffer {
  return addCmsSigner(signed, signer, opts)
}

/** Encrypts signed content to every officer certificate: the inner envelope and its SHA-256. */
export function encryptInner(signed: Buffer, recipients: readonly X509Certificate[]): { inner: Buffer; innerSha256: string } {
  const unique = recipients.filter((c, i) => recipients.findIndex((d) => d.raw.equals(c.raw)) === i)
  if (unique.length === 0 || unique.length > MAX_INNER_RECIPIENTS) throw new Error(`encryptInner: 1 to ${MAX_INNER_RECIPIENTS} recipients`)
  const { envelope, envelopeSha256 } = sealAuthEnvelopedFor([signed], unique)
  return { inner: envelope, innerSha256: envelopeSha256 }
}

export const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
