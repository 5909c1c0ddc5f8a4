// How each envelope profile's objects are written into an evidence bundle (PROTOCOL.md §8.5): one
// row per profile (house style §2). File names tell an auditor which tool opens them; the bytes are
// always the exact bytes signed or sent, never re-encoded.
import type { Opened } from '../crypto/types.js'
import { auditorPrefix, type AuditorPrefix } from './cms-auditor.js'

export interface EvidenceForm {
  /** file names inside messages/<message id>/ */
  readonly envelopeFile: string
  readonly letterFile: string
  readonly receiptFile: string
  /** The signed letter as a file: a compact JWS (ASCII) or the DER of a CMS SignedData. */
  letterBytes(opened: Opened): Buffer
  /** A way for plain OpenSSL to open the envelope with the content key, where the profile needs one. */
  auditorPrefix?(envelope: Buffer, contentKey: Buffer): AuditorPrefix | undefined
}

const FORMS: Readonly<Record<string, EvidenceForm>> = {
  'jose-v1': {
    envelopeFile: 'envelope.jwe',
    letterFile: 'letter.jws',
    receiptFile: 'receipt.jws',
    letterBytes: (o) => Buffer.from(o.signedBytes, 'latin1'),
  },
  'jose-v2': { // PROTOCOL.md §17.7: a JWE in flattened JSON serialization; the signed letter and receipt as jose-v1
    envelopeFile: 'envelope.jwe.json',
    letterFile: 'letter.jws',
    receiptFile: 'receipt.jws',
    letterBytes: (o) => Buffer.from(o.signedBytes, 'latin1'),
  },
  'cms-v1': {
    envelopeFile: 'envelope.p7m',
    letterFile: 'letter.p7s',
    receiptFile: 'receipt.p7s',
    letterBytes: (o) => Buffer.from(o.signedBytes, 'base64'), // Opened.signedBytes: base64 of the SignedData DER
    auditorPrefix,
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
