// Mutators for the fuzzer (issue 13 §4): bytes, compact serializations (JWS/JWE parts), JSON
// headers and BER trees. Each returns the new bytes and a name saying what was changed, so that the
// summary can count outcomes per mutation and a violation can be classified.
import { X509Certificate } from 'node:crypto'
import { readTlv, type Tlv } from '../../src/crypto/cms/der-read.js'
import type { Rng } from '../helpers/prng.js'

export interface Mutated {
  readonly bytes: Buffer
  readonly name: string
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x2e, 0x22, 0x5c, 0x7b, 0x7d, 0x30, 0xa0]
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Byte-level mutations anywhere in `b` (bit flips, truncations, length changes, splices). */
export function mutateBytes(rng: Rng, b: Buffer): Mutated {
  const at = b.length === 0 ? 0 : rng.int(b.length)
  const out = Buffer.from(b)
  switch (rng.int(9)) {
    case 0:
      if (b.length) out[at]! ^= 1 << rng.int(8)
      return { bytes: out, name: 'bytes.bitflip' }
    case 1:
      if (b.length) out[at] = rng.pick(INTERESTING)
      return { bytes: out, name: 'bytes.interesting' }
    case 2:
      return { bytes: b.subarray(0, at), name: 'bytes.truncate' }
    case 3:
      return { bytes: b.subarray(at), name: 'bytes.drop-head' }
    case 4:
      return { bytes: Buffer.concat([b, rng.bytes(rng.between(1, 64))]), name: 'bytes.append' }
    case 5: {
      const n = rng.between(1, Math.min(64, Math.max(1, b.length - at)))
      return { bytes: Buffer.concat([b.subarray(0, at), b.subarray(at + n)]), name: 'bytes.delete' }
    }
    case 6:
      return { bytes: Buffer.concat([b.subarray(0, at), rng.bytes(rng.between(1, 32)), b.subarray(at)]), name: 'bytes.insert' }
    case 7: {
      const n = rng.between(1, Math.min(256, Math.max(1, b.length - at)))
      return { bytes: Buffer.concat([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)]), name: 'bytes.duplicate' }
    }
    default:
      return { bytes: rng.bytes(rng.between(0, 512)), name: 'bytes.random' }
  }
}

/** Indexes [start, end) of each '.'-separated part. */
export function compactParts(b: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let s = 0
  for (let i = b.indexOf(0x2e); i !== -1; i = b.indexOf(0x2e, i + 1)) {
    out.push([s, i])
    s = i + 1
  }
  out.push([s, b.length])
  return out
}

/** Mutations of one part of a compact serialization (`names` labels the parts, e.g. header, ek, iv, ct, tag). */
export function mutateCompact(rng: Rng, b: Buffer, names: readonly string[]): Mutated {
  const parts = compactParts(b)
  const n = rng.int(parts.length)
  const [s, e] = parts[n]!
  const label = names[n] ?? `part${n}`
  const part = b.subarray(s, e)
  const splice = (p: Buffer) => Buffer.concat([b.subarray(0, s), p, b.subarray(e)])
  switch (rng.int(8)) {
    case 0: {
      if (part.length === 0) return { bytes: splice(Buffer.from('A')), name: `${label}.fill` }
      const p = Buffer.from(part)
      const i = rng.int(p.length)
      p[i] = B64URL.charCodeAt((B64URL.indexOf(String.fromCharCode(p[i]!)) + 1 + rng.int(63)) % 64)
      return { bytes: splice(p), name: `${label}.char` }
    }
    case 1:
      return { bytes: splice(Buffer.alloc(0)), name: `${label}.empty` }
    case 2:
      return { bytes: splice(part.subarray(0, rng.int(part.length + 1))), name: `${label}.truncate` }
    case 3:
      return { bytes: splice(Buffer.concat([part, Buffer.from(rng.pick(['A', 'AA', 'AAA', 'AAAA', '=', '+/', '.']))])), name: `${label}.extend` }
    case 4:
      return { bytes: splice(Buffer.from(rng.bytes(rng.between(1, 48)).toString('base64url'))), name: `${label}.random` }
    case 5: {
      const m = rng.int(parts.length)
      const [s2, e2] = parts[m]!
      return { bytes: splice(Buffer.from(b.subarray(s2, e2))), name: `${label}.swap` }
    }
    case 6:
      return { bytes: rng.chance(0.5) ? Buffer.concat([b, Buffer.from('.')]) : b.subarray(0, Math.max(0, s - 1)), name: 'compact.part-count' }
    default: {
      const raw = Buffer.from(part.toString('latin1'), 'base64url')
      const m = mutateBytes(rng, raw)
      return { bytes: splice(Buffer.from(m.bytes.toString('base64url'))), name: `${label}.decoded-${m.name.slice(6)}` }
    }
  }
}

/** A JSON value to put where another was: wrong types, huge, nested, odd strings. */
function oddValue(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => null, () => true, () => 0, () => -1, () => 1e308, () => '', () => 'none', () => 'A'.repeat(rng.between(1, 5000)),
    () => [], () => ({}), () => ({ a: { b: { c: [1, 2, 3] } } }), () => ['MIIB'], () => [rng.bytes(64).toString('base64')],
    () => 'dir', () => 'RSA1_5', () => 'HS256', () => 'A128GCM', () => '\u0000', () => '../../etc/passwd', () => Array.from({ length: 200 }, () => 'x'),
  ])()
}

/** Mutations of a JSON object (a protected header, a letter): members removed, retyped, added, duplicated. */
export function mutateJsonObject(rng: Rng, obj: Record<string, unknown>, extraKeys: readonly string[] = []): { value: Record<string, unknown> | string; name: string } {
  const keys = Object.keys(obj)
  const o: Record<string, unknown> = structuredClone(obj)
  const key = keys.length ? rng.pick(keys) : 'x'
  switch (rng.int(7)) {
    case 0:
      delete o[key]
      return { value: o, name: `json.delete-${key}` }
    case 1:
      o[key] = oddValue(rng)
      return { value: o, name: `json.retype-${key}` }
    case 2: {
      const k = rng.pick([...extraKeys, 'crit', 'zip', 'jku', 'jwk', 'kid', 'b64', '__proto__', 'constructor', 'x'])
      o[k] = oddValue(rng)
      return { value: o, name: `json.add-${k}` }
    }
    case 3: {
      const s = JSON.stringify(o)
      return { value: s.replace(/^\{/, `{"${key}":${JSON.stringify(oddValue(rng))},`), name: `json.duplicate-${key}` }
    }
    case 4:
      if (typeof o[key] === 'string') {
        const v = o[key] as string
        o[key] = v.toUpperCase() !== v ? v.toUpperCase() : v.toLowerCase() !== v ? v.toLowerCase() : `${v} `
      }
      else if (Array.isArray(o[key])) o[key] = (o[key] as unknown[]).slice(1)
      return { value: o, name: `json.alter-${key}` }
    case 5:
      return { value: JSON.stringify(o).slice(0, rng.int(JSON.stringify(o).length)), name: 'json.truncate' }
    default:
      return { value: rng.pick(['[]', 'null', '"x"', '1', '{}', '\ufeff{}', '{"a":1}garbage', '{'.repeat(3000)]), name: 'json.not-an-object' }
  }
}

/** Every TLV of a BER tree (depth-first), up to `max` of them. */
export function berNodes(buf: Buffer, max = 4000): Tlv[] {
  const out: Tlv[] = []
  const walk = (at: number, limit: number, depth: number) => {
    while (at < limit && out.length < max) {
      let t: Tlv
      try {
        t = readTlv(buf, at, limit, depth)
      } catch {
        return
      }
      out.push(t)
      if (t.constructed) walk(t.body, t.end, depth + 1)
      at = t.next
    }
  }
  walk(0, buf.length, 0)
  return out
}

/** BER-aware mutations: one element's tag, length or content; indefinite lengths; nesting and element bombs. */
export function mutateBer(rng: Rng, buf: Buffer): Mutated {
  const nodes = berNodes(buf)
  if (nodes.length === 0) return mutateBytes(rng, buf)
  const t = rng.pick(nodes)
  const out = Buffer.from(buf)
  const lenAt = t.start + 1
  switch (rng.int(8)) {
    case 0:
      out[t.start] = rng.pick([0x30, 0x31, 0x02, 0x04, 0x05, 0x06, 0x24, 0x80, 0xa0, 0xa1, 0x1f, 0x00, t.start ^ 0x20])
      return { bytes: out, name: 'ber.tag' }
    case 1:
      // a length byte one more or less, or a long form that claims more than there is
      out[lenAt] = (out[lenAt]! + rng.pick([1, -1, 0x7f, 0x80])) & 0xff
      return { bytes: out, name: 'ber.length' }
    case 2:
      return { bytes: Buffer.concat([buf.subarray(0, lenAt), Buffer.from([0x84, 0xff, 0xff, 0xff, 0xf0]), buf.subarray(t.body)]), name: 'ber.huge-length' }
    case 3:
      // definite → indefinite (constructed only stays sensible; primitive is refused)
      return { bytes: Buffer.concat([buf.subarray(0, lenAt), Buffer.from([0x80]), buf.subarray(t.body, t.end), Buffer.from([0, 0]), buf.subarray(t.end)]), name: 'ber.indefinite' }
    case 4: {
      if (t.end > t.body) out[t.body + rng.int(t.end - t.body)]! ^= 1 << rng.int(8)
      return { bytes: out, name: 'ber.content-bit' }
    }
    case 5:
      return { bytes: Buffer.concat([buf.subarray(0, t.start), buf.subarray(t.next)]), name: 'ber.remove-element' }
    case 6: {
      // deep nesting at this element's place
      const depth = rng.between(20, 200)
      const open = Buffer.alloc(depth * 2)
      for (let i = 0; i < depth; i++) { open[2 * i] = 0x30; open[2 * i + 1] = 0x80 }
      return { bytes: Buffer.concat([buf.subarray(0, t.start), open, Buffer.alloc(depth * 2), buf.subarray(t.next)]), name: 'ber.deep-nesting' }
    }
    default: {
      // an element bomb: many tiny elements inside one indefinite SEQUENCE
      const n = rng.between(1000, 200_000)
      const tiny = Buffer.alloc(n * 2)
      for (let i = 0; i < n; i++) tiny[2 * i] = 0x05
      return { bytes: Buffer.concat([buf.subarray(0, t.start), Buffer.from([0x30, 0x80]), tiny, Buffer.from([0, 0]), buf.subarray(t.next)]), name: 'ber.element-bomb' }
    }
  }
}

/**
 * The signer's certificate in a compact JWS's x5c, changed after signing (the signature no longer
 * holds): most often its subjectPublicKey (the first BIT STRING), near its start, where an RSA key's
 * SEQUENCE header or an EC point's form byte is, so that the key itself may no longer decode.
 */
export function mutateX5c(rng: Rng, jws: Buffer): Mutated {
  const [h, p, sig] = jws.toString('latin1').split('.')
  const header = JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')) as { x5c: string[] }
  const cert = Buffer.from(header.x5c[0]!, 'base64')
  const spk = berNodes(cert).find((t) => t.tag === 0x03)
  let changed: Mutated
  if (spk && rng.chance(0.6)) {
    const c = Buffer.from(cert)
    const span = spk.end - spk.body - 1
    const at = spk.body + 1 + (rng.chance(0.7) ? rng.int(Math.min(6, span)) : rng.int(span))
    c[at] = rng.chance(0.5) ? c[at]! ^ (1 << rng.int(8)) : rng.pick(INTERESTING)
    changed = { bytes: c, name: 'key' }
  } else changed = mutateBer(rng, cert)
  header.x5c[0] = changed.bytes.toString('base64')
  return { bytes: Buffer.from(`${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}.${sig}`, 'latin1'), name: `x5c.${changed.name}` }
}

/** Whether a compact JWS's x5c leaf parses as a certificate whose public key does not decode (the
 *  class of issue 13 §2's first campaign finding, whichever mutation produced it). */
export function x5cKeyUndecodable(jws: Buffer): boolean {
  try {
    const header = JSON.parse(Buffer.from(jws.toString('latin1').split('.')[0]!, 'base64url').toString('utf8')) as { x5c?: unknown }
    if (!Array.isArray(header.x5c) || typeof header.x5c[0] !== 'string') return false
    const cert = new X509Certificate(Buffer.from(header.x5c[0], 'base64'))
    try {
      void cert.publicKey
      return false
    } catch {
      return true
    }
  } catch {
    return false
  }
}
