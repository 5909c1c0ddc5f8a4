// How each envelope profile's objects are written into an evidence bundle (PROTOCOL.md §8.5): one
// row per profile (house style §2). File names tell an auditor which tool opens them; the bytes are
// always the exact bytes signed or sent, never re-encoded.
import type { X509Certificate } from 'node:crypto'
import type { Opened, SignedPayload } from '../crypto/types.js'
import { auditorPrefix, type AuditorPrefix } from './cms-auditor.js'
import { verifyCompact } from '../crypto/jose/jws.js'
import { decodePayload } from '../crypto/jose/v1-payload.js'
import { verifyCms } from '../crypto/cms/signed-data.js'
import { OID_CT_SARABAN_LETTER } from '../crypto/cms/oids.js'

/** A signed payload checked on its own, outside its envelope (a received notice, PROTOCOL.md §18.6). */
export interface VerifiedSigned {
  readonly payload: SignedPayload
  readonly signerChain: X509Certificate[]
  readonly signature: Buffer
}

export interface EvidenceForm {
  /** file names inside messages/<message id>/ */
  readonly envelopeFile: string
  readonly letterFile: string
  readonly receiptFile: string
  /** The signed letter as a file: a compact JWS (ASCII) or the DER of a CMS SignedData. */
  letterBytes(opened: Opened): Buffer
  /** A way for plain OpenSSL to open the envelope with the content key, where the profile needs one. */
  auditorPrefix?(envelope: Buffer, contentKey: Buffer): AuditorPrefix | undefined
  /** Verifies a signed letter or notice file (letterBytes' form) on its own; throws when it does not. */
  verifySigned(file: Buffer): VerifiedSigned
  noticeFile: string
}

/** jose-v1 and jose-v2 carry the same compact JWS (PROTOCOL.md §5.4, §17.7). */
function verifyJws(file: Buffer): VerifiedSigned {
  const v = verifyCompact(file, 'saraban-letter+jws') // PROTOCOL.md §18.2: a notice keeps the letter typ
  return { payload: decodePayload(v.payload), signerChain: v.chain, signature: v.signature }
}

const FORMS: Readonly<Record<string, EvidenceForm>> = {
  'jose-v1': {
    envelopeFile: 'envelope.jwe',
    letterFile: 'letter.jws',
    receiptFile: 'receipt.jws',
    letterBytes: (o) => Buffer.from(o.signedBytes, 'latin1'),
    noticeFile: 'notice.jws',
    verifySigned: verifyJws,
  },
  'jose-v2': { // PROTOCOL.md §17.7: a JWE in flattened JSON serialization; the signed letter and receipt as jose-v1
    envelopeFile: 'envelope.jwe.json',
    letterFile: 'letter.jws',
    receiptFile: 'receipt.jws',
    letterBytes: (o) => Buffer.from(o.signedBytes, 'latin1'),
    noticeFile: 'notice.jws',
    verifySigned: verifyJws,
  },
  'cms-v1': {
    envelopeFile: 'envelope.p7m',
    letterFile: 'letter.p7s',
    receiptFile: 'receipt.p7s',
    letterBytes: (o) => Buffer.from(o.signedBytes, 'base64'), // Opened.signedBytes: base64 of the SignedData DER
    auditorPrefix,
    noticeFile: 'notice.p7s',
    verifySigned: (file) => {
      const v = verifyCms(file)
      if (v.end !== file.length) throw new Error('bytes after the SignedData')
      if (v.contentType !== OID_CT_SARABAN_LETTER) throw new Error('the eContentType is not saraban-letter')
      return { payload: decodePayload(v.payload), signerChain: v.chain, signature: v.signature }
    },
  },
}

export function evidenceForm(profile: string): EvidenceForm | undefined {
  return FORMS[profile]
}

/** The PEM file of a certificate chain, leaf first (RFC 7468 §5): exactly what we write and expect. */
export function chainPem(chain: readonly { raw: Buffer }[]): Buffer {
  return Buffer.from(chain.map((c) => {
    const lines = c.raw.toString('base64').match(/.{1,64}/g) ?? []
    return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
  }).join(''), 'ascii')
}

/** content-key.hex: the 32-byte content encryption key as 64 lowercase hex digits and a newline
 *  (the form `openssl cms -decrypt -secretkey` takes). */
export function contentKeyFile(key: Buffer): Buffer {
  return Buffer.from(key.toString('hex') + '\n', 'ascii')
}

export function parseContentKeyFile(file: Buffer): Buffer | undefined {
  const s = file.toString('latin1')
  return /^[0-9a-f]{64}\n$/.test(s) ? Buffer.from(s.slice(0, 64), 'hex') : undefined
}
