// Opening a classified inner envelope on the officer's machine (PROTOCOL.md §19, classified-design.md
// §2 "Opening"): find the RecipientInfo for the officer's encryption certificate, unwrap the content
// key through the officer's PrivateKeyHandle, decrypt (AES-256-GCM), verify every SignerInfo of the
// SignedData inside, parse the bundle and check the manifest digests. Trust (are the signers officers
// of `from` in the signed directory?) and the level rules are decided by the caller (levels.ts), which
// gets the signer certificates from here.
import type { X509Certificate } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { decryptWithRecipientKey, parseAuthEnvelopedMany } from '../../crypto/cms/auth-enveloped.js'
import { certMatches } from '../../crypto/cms/cert-id.js'
import { OID_DATA } from '../../crypto/cms/oids.js'
import { CmsSignedError, verifyCmsSigners, type VerifiedSigner } from '../../crypto/cms/signed-data.js'
import type { PrivateKeyHandle } from '../../crypto/keys/handle.js'
import { decodeBundle } from './bundle.js'
import { MAX_INNER_RECIPIENTS, MAX_INNER_SIGNERS, sha256Hex } from './seal.js'
import type { ClassifiedLetter } from './types.js'

export interface OpenedInner {
  /** The decrypted ContentInfo(SignedData), for forwarding with the original signatures kept. */
  signed: Buffer
  signers: VerifiedSigner[]
  certificates: X509Certificate[]
  letter: ClassifiedLetter
  attachments: Buffer[]
}

/** Decrypts with the officer's key; ERR_CLASSIFIED_MALFORMED, ERR_CLASSIFIED_NOT_FOR_YOU, ERR_DECRYPT_FAILED. */
export function decryptInner(inner: Buffer, officer: { handle: PrivateKeyHandle; certificate: X509Certificate }): Buffer {
  let parsed
  try {
    parsed = parseAuthEnvelopedMany(inner, MAX_INNER_RECIPIENTS)
  } catch (e) {
    if (e instanceof SarabanError) throw new SarabanError('ERR_CLASSIFIED_MALFORMED', `The inner envelope is not a CMS AuthEnvelopedData this program opens: ${e.message}`, { cause: e })
    throw e
  }
  const mine = parsed.recipients.find((r) => certMatches(officer.certificate, r.keyId))
  if (mine === undefined) {
    throw new SarabanError('ERR_CLASSIFIED_NOT_FOR_YOU', 'The inner envelope is not sealed to this officer certificate; open it with the key of an officer it is addressed to.')
  }
  return decryptWithRecipientKey(parsed, officer.handle, mine) // ERR_DECRYPT_FAILED: one sentence, no oracle
}

/** Verifies every SignerInfo of signed content and parses its bundle. */
export function verifyInnerSigned(signed: Buffer): Omit<OpenedInner, 'signed'> {
  let v
  try {
    v = verifyCmsSigners(signed, signed.length, MAX_INNER_SIGNERS)
  } catch (e) {
    if (e instanceof CmsSignedError) {
      if (e.kind === 'signature') throw new SarabanError('ERR_SIGNATURE_INVALID', 'A signature on the classified letter is not valid.')
      throw new SarabanError('ERR_CLASSIFIED_MALFORMED', `The signed classified letter is not a SignedData this program accepts: ${e.message}.`)
    }
    throw e
  }
  if (v.end !== signed.length) throw new SarabanError('ERR_CLASSIFIED_MALFORMED', 'The decrypted content has bytes after its SignedData.')
  if (v.contentType !== OID_DATA) throw new SarabanError('ERR_CLASSIFIED_MALFORMED', 'The signed content type of a classified letter must be id-data.')
  const { letter, attachments } = decodeBundle(v.payload)
  return { signers: v.signerInfos, certificates: v.certificates, letter, attachments }
}

/** Opens an inner envelope. `innerSha256` (the outer cover's, and the release statements') is checked
 *  first: the RecipientInfos of other officers lie outside the GCM tag (RFC 5083 §2.1 without
 *  authAttrs), so only the digest the sending officer signed catches a change there. */
export function openInner(inner: Buffer, officer: { handle: PrivateKeyHandle; certificate: X509Certificate }, innerSha256?: string): OpenedInner {
  if (innerSha256 !== undefined && sha256Hex(inner) !== innerSha256) {
    throw new SarabanError('ERR_CLASSIFIED_MISMATCH', 'The inner envelope is not the one the sending officer released (its SHA-256 differs from innerSha256); do not trust it and tell the registrar.', { field: 'innerSha256' })
  }
  const signed = decryptInner(inner, officer)
  return { signed, ...verifyInnerSigned(signed) }
}
