// Building deliberately bad jose-v1 envelopes and receipts (unit tests and the vector generator).
// Everything goes through the same low-level pieces as the real profile, with one thing changed.
import type { KeyObject, X509Certificate } from 'node:crypto'
import { encryptCompact } from '../../src/crypto/jose/jwe.js'
import { jwsAlgorithm, signWith } from '../../src/crypto/jose/jws-algorithms.js'
import { v1HeaderFields } from '../../src/crypto/jose/v1-header.js'
import type { SealInput } from '../../src/crypto/profiles.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Indexes of the '.' separators of a compact serialization. */
function dots(compact: Buffer): number[] {
  const out: number[] = []
  for (let i = compact.indexOf(0x2e); i !== -1; i = compact.indexOf(0x2e, i + 1)) out.push(i)
  return out
}

/** [start, end) of compact part `n` (0-based). */
export function partRange(compact: Buffer, n: number): [number, number] {
  const d = dots(compact)
  return [n === 0 ? 0 : d[n - 1]! + 1, n < d.length ? d[n]! : compact.length]
}

/**
 * A copy with one base64url character of part `n` replaced by another (still canonical: the last
 * character, whose unused bits must stay zero, is never chosen). `at` is relative to the part.
 */
export function tamperPart(compact: Buffer, n: number, at?: number): Buffer {
  const [s, e] = partRange(compact, n)
  const i = s + (at ?? Math.floor((e - s) / 2))
  if (i >= e - 1) throw new Error('tamperPart: would touch the last character')
  const out = Buffer.from(compact)
  const c = String.fromCharCode(out[i]!)
  out[i] = ALPHABET.charCodeAt((ALPHABET.indexOf(c) + 1) % 64)
  return out
}

export function decodeHeader(compact: Buffer): Record<string, unknown> {
  const [s, e] = partRange(compact, 0)
  return JSON.parse(Buffer.from(compact.toString('latin1', s, e), 'base64url').toString('utf8'))
}

/** Replaces the protected header (part 0) with `mutate(header)`, serialized as given. */
export function spliceHeader(compact: Buffer, mutate: (h: Record<string, unknown>) => unknown): Buffer {
  const [, e] = partRange(compact, 0)
  const h = Buffer.from(JSON.stringify(mutate(decodeHeader(compact))), 'utf8').toString('base64url')
  return Buffer.concat([Buffer.from(h, 'latin1'), compact.subarray(e)])
}

/** A compact JWS with an arbitrary header; signed by `key` with the row of header.alg ("none": empty signature). */
export function craftJws(header: Record<string, unknown>, payload: Buffer | string, key: KeyObject | undefined): Buffer {
  const input = Buffer.from(`${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`, 'latin1')
  const row = jwsAlgorithm(header['alg'])
  const sig = row && key ? signWith(row, input, key).toString('base64url') : ''
  return Buffer.concat([input, Buffer.from(`.${sig}`, 'latin1')])
}

/** craftJws with the header given as JSON text (for what JSON.stringify cannot write: a member name twice). */
export function craftJwsText(headerText: string, payload: Buffer | string, key: KeyObject | undefined): Buffer {
  const input = Buffer.from(`${Buffer.from(headerText).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`, 'latin1')
  const row = jwsAlgorithm((JSON.parse(headerText) as { alg?: unknown }).alg)
  const sig = row && key ? signWith(row, input, key).toString('base64url') : ''
  return Buffer.concat([input, Buffer.from(`.${sig}`, 'latin1')])
}

export function x5cOf(chain: readonly X509Certificate[]): string[] {
  return chain.map((c) => c.raw.toString('base64'))
}

/** The payload bytes seal() would sign for `input`, with `over` applied. */
export function payloadOf(input: SealInput, over: Record<string, unknown> = {}): Buffer {
  const p = { v: 1, mid: input.messageId, from: input.from, to: input.to, sentAt: input.sentAt, letter: input.letter, ...over }
  return Buffer.from(JSON.stringify(p), 'utf8')
}

/** A properly encrypted envelope around an arbitrary bundle `jws || LF || tail` and header fields. */
export function craftEnvelope(opts: {
  input: SealInput
  jws: Buffer
  tail?: Buffer[]
  headerOver?: Record<string, unknown>
  noNewline?: boolean
}): Buffer {
  const { input } = opts
  const fields = { ...v1HeaderFields(input), ...opts.headerOver }
  const parts = opts.noNewline ? [opts.jws, ...(opts.tail ?? input.attachments)] : [opts.jws, Buffer.from('\n'), ...(opts.tail ?? input.attachments)]
  return encryptCompact(fields, parts, input.recipientCert.publicKey).envelope
}

/** A properly signed letter JWS for `input` (as seal() makes it), with header/payload changes. */
export function letterJws(input: SealInput, opts: { headerOver?: Record<string, unknown>; payloadOver?: Record<string, unknown>; key?: KeyObject } = {}): Buffer {
  const key = input.signer.key as KeyObject // test material: keys in memory
  const alg = key.asymmetricKeyType === 'rsa' ? 'RS256' : 'ES256'
  const header = { alg, typ: 'saraban-letter+jws', x5c: x5cOf(input.signer.chain), ...opts.headerOver }
  return craftJws(header, payloadOf(input, opts.payloadOver), opts.key ?? key)
}

/** [header length, content length] of the DER TLV at `at`. */
function tlvAt(der: Buffer, at: number): [number, number] {
  const b = der[at + 1]!
  if ((b & 0x80) === 0) return [2, b]
  const n = b & 0x7f
  return [2 + n, der.readUIntBE(at + 2, n)]
}

/**
 * A copy of `cert` whose subjectPublicKey no longer decodes: the key's first byte inside the BIT
 * STRING is changed (0x04 → 0x05 for an EC point, 0x30 → 0x31 for an RSA key). The certificate still
 * parses; its own signature no longer verifies, which a receiver only sees after the letter signature.
 */
export function undecodableKey(cert: X509Certificate): Buffer {
  const spki = cert.publicKey.export({ format: 'der', type: 'spki' })
  const der = Buffer.from(cert.raw)
  const at = der.indexOf(spki)
  if (at < 0) throw new Error('undecodableKey: the SPKI is not in the certificate')
  const [seqHead] = tlvAt(der, at) // SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey BIT STRING }
  const alg = at + seqHead
  const [algHead, algLen] = tlvAt(der, alg)
  const bits = alg + algHead + algLen
  const [bitsHead] = tlvAt(der, bits)
  der[bits + bitsHead + 1]! ^= 0x01 // after the unused-bits octet
  return der
}
