// Changing one part of a sealed envelope, per profile (a row per profile, house style §2): the
// ciphertext, the GCM tag, the integrity-protected header. Each change keeps the envelope well-formed,
// so that the only thing wrong is what the case names (PROTOCOL.md §4.2 check 8: ERR_DECRYPT_FAILED).
import type { EnvelopeProfile } from '../crypto/profiles.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** One base64url character at `i` replaced by the next in the alphabet (never the last of a part:
 *  its unused bits must stay zero, PROTOCOL.md §5.6). */
function nextChar(b: Buffer, i: number): Buffer {
  const out = Buffer.from(b)
  out[i] = ALPHABET.charCodeAt((ALPHABET.indexOf(String.fromCharCode(out[i]!)) + 1) % 64)
  return out
}

/** [start, end) of part n of a compact serialization. */
function compactPart(b: Buffer, n: number): [number, number] {
  let start = 0
  for (let k = 0; k < n; k++) start = b.indexOf(0x2e, start) + 1
  const dot = b.indexOf(0x2e, start)
  return [start, dot === -1 ? b.length : dot]
}

/** [start, end) of the string value of a member of a flattened JWE (PROTOCOL.md §17.7: no escapes). */
function jsonMember(b: Buffer, name: string): [number, number] {
  const key = Buffer.from(`"${name}":"`)
  const at = b.indexOf(key)
  if (at === -1) throw new Error(`no "${name}" member`)
  const start = at + key.length
  return [start, b.indexOf(0x22, start)]
}

/** A JSON header re-serialized with its members in reverse order: the same header, other bytes. */
function reorderedB64(text: string): string {
  const h = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(h).reverse()) out[k] = h[k]
  return Buffer.from(JSON.stringify(out)).toString('base64url')
}

function replace(b: Buffer, [s, e]: [number, number], text: string): Buffer {
  return Buffer.concat([b.subarray(0, s), Buffer.from(text, 'latin1'), b.subarray(e)])
}

export interface TamperRow {
  ciphertext(envelope: Buffer, profile: EnvelopeProfile): Buffer
  tag(envelope: Buffer): Buffer
  /** the integrity-protected header (the AAD), where the profile has one outside the ciphertext */
  header?(envelope: Buffer): Buffer
}

const middleOf = ([s, e]: [number, number]) => s + Math.floor((e - s) / 2)

export const TAMPER: Readonly<Record<string, TamperRow>> = {
  'jose-v1': {
    ciphertext: (b) => nextChar(b, middleOf(compactPart(b, 3))),
    tag: (b) => nextChar(b, compactPart(b, 4)[0] + 10),
    header: (b) => replace(b, compactPart(b, 0), reorderedB64(b.toString('latin1', ...compactPart(b, 0)))),
  },
  'jose-v2': {
    ciphertext: (b, p) => {
      const span = p.contentSpan(b)!
      return nextChar(b, middleOf([span.start, span.end]))
    },
    tag: (b) => nextChar(b, jsonMember(b, 'tag')[0] + 10),
    header: (b) => {
      const span = jsonMember(b, 'protected')
      return replace(b, span, reorderedB64(b.toString('latin1', ...span)))
    },
  },
  'cms-v1': {
    ciphertext: (b, p) => {
      const span = p.contentSpan(b)!
      const out = Buffer.from(b)
      out[middleOf([span.start, span.end])]! ^= 0x01
      return out
    },
    // AuthEnvelopedData ends with its mac (RFC 5083 §2.1; the kit's sealer writes no unauthAttrs).
    tag: (b) => {
      const out = Buffer.from(b)
      out[out.length - 1]! ^= 0x01
      return out
    },
  },
}
