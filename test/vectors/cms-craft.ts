// Builds cms-v1 envelopes and signed letters with deliberate defects, from the same DER pieces the
// profile uses (PROTOCOL.md §12), for the vector generator and the unit tests. Test code only.
import { createCipheriv, randomBytes, type X509Certificate } from 'node:crypto'
import { algId, ctx, header, int, octets, oid, seq, setOf, tlv } from '../../src/crypto/cms/der-write.js'
import { encodeKari } from '../../src/crypto/cms/kari.js'
import { encodeKtri } from '../../src/crypto/cms/ktri.js'
import { OID_AES256_GCM, OID_AUTH_ENVELOPED_DATA, OID_CT_SARABAN_LETTER, OID_DATA } from '../../src/crypto/cms/oids.js'
import { signCms, type SignOptions } from '../../src/crypto/cms/signed-data.js'
import type { SealInput, SignerIdentity } from '../../src/crypto/profiles.js'

export interface EnvelopeParts {
  plaintext: readonly Buffer[]
  recipient: X509Certificate
  /** RecipientInfos from the one real RecipientInfo (default: [ri]). */
  recipientInfos?: (ri: Buffer) => Buffer[]
  /** Change the RecipientInfo bytes (e.g. flip a bit of the encrypted key). */
  mutateRecipientInfo?: (ri: Buffer) => Buffer
  contentType?: string
  contentAlgorithm?: string
  icvLen?: number
  outerType?: string
  flipTag?: boolean
  trailing?: Buffer
  /** [1] IMPLICIT authAttrs (not used by cms-v1). */
  authAttrs?: Buffer
}

/** A cms-v1 AuthEnvelopedData with whatever defects `p` asks for. */
export function assembleEnvelope(p: EnvelopeParts): Buffer {
  const cek = randomBytes(32)
  const nonce = randomBytes(12)
  const icvLen = p.icvLen ?? 16
  const rsa = p.recipient.publicKey.asymmetricKeyType === 'rsa'
  let ri = rsa ? encodeKtri(cek, p.recipient) : encodeKari(cek, p.recipient)
  if (p.mutateRecipientInfo) ri = p.mutateRecipientInfo(ri)
  const cipher = createCipheriv('aes-256-gcm', cek, nonce, { authTagLength: icvLen })
  const ct = Buffer.concat([...p.plaintext.map((b) => cipher.update(b)), cipher.final()])
  const tag = cipher.getAuthTag()
  if (p.flipTag) tag[0]! ^= 1
  const eci = seq(
    oid(p.contentType ?? OID_DATA),
    algId(p.contentAlgorithm ?? OID_AES256_GCM, seq(octets(nonce), int(icvLen))),
    Buffer.concat([header(0x80, ct.length), ct]),
  )
  const aed = seq(int(0), setOf(...(p.recipientInfos ? p.recipientInfos(ri) : [ri])), eci, ...(p.authAttrs ? [p.authAttrs] : []), octets(tag))
  const env = seq(oid(p.outerType ?? OID_AUTH_ENVELOPED_DATA), ctx(0, aed))
  return p.trailing ? Buffer.concat([env, p.trailing]) : env
}

/** The signed payload bytes of §5.4 (as jose-v1), with members replaced or added. */
export function payloadBytes(input: SealInput, over: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, mid: input.messageId, from: input.from, to: input.to, sentAt: input.sentAt, letter: input.letter, ...over }), 'utf8')
}

/** A DER ContentInfo(SignedData) of a letter; `mutate` may change its bytes afterwards. */
export function signedLetter(
  input: SealInput, opts: { over?: Record<string, unknown>; contentType?: string; signer?: SignerIdentity; sign?: SignOptions; mutate?: (der: Buffer) => Buffer } = {},
): Buffer {
  const der = signCms(opts.contentType ?? OID_CT_SARABAN_LETTER, payloadBytes(input, opts.over), opts.signer ?? input.signer, { signingTime: new Date(input.sentAt), ...opts.sign }).der
  return opts.mutate ? opts.mutate(Buffer.from(der)) : der
}

export function flipByte(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b)
  const i = at < 0 ? c.length + at : at
  c[i] = c[i]! ^ 0x01
  return c
}

/** Replaces the first occurrence of `from` with `to` (same length keeps every DER length valid). */
export function replaceBytes(b: Buffer, from: Buffer, to: Buffer): Buffer {
  const i = b.indexOf(from)
  if (i < 0) throw new Error('replaceBytes: not found')
  return Buffer.concat([b.subarray(0, i), to, b.subarray(i + from.length)])
}

export { tlv }
