// A strict reader of the JWE Flattened JSON Serialization (RFC 7516 §7.2.2) as jose-v2 writes it
// (PROTOCOL.md §17.7), on a Buffer: the ciphertext member may be hundreds of megabytes, so the
// top-level object is tokenized in place (no string of the whole envelope, no JSON.parse of it) and
// string values are returned as views. Rules: one JSON object (whitespace allowed between tokens);
// member names from a closed list, each at most once; every member but `header` a JSON string without
// escapes (base64url needs none); `header` a JSON object of at most `maxHeaderBytes`, parsed strictly
// (no member name twice, at any depth).
import { SarabanError } from '../../errors.js'
import { parseStrictJsonObject } from '../../domain/strict-json.js'
import type { ByteSpan } from '../types.js'

const QUOTE = 0x22
const BACKSLASH = 0x5c
const MAX_NAME = 32

function malformed(detail: string, field?: string): SarabanError {
  return new SarabanError('ERR_ENVELOPE_MALFORMED', detail, field === undefined ? {} : { field })
}

const isSpace = (b: number | undefined): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d

export interface FlattenedJwe {
  /** The string members (views into the envelope, between the quotes). */
  strings: Map<string, Buffer>
  /** The `header` member, parsed. */
  header: Record<string, unknown> | undefined
}

function memberName(seen: Set<string> | undefined, quoted: Buffer): void {
  let name: string
  try {
    name = JSON.parse(quoted.toString('utf8')) as string
  } catch {
    return // not valid JSON: parseStrictJsonObject refuses it
  }
  if (seen?.has(name)) throw malformed(`The envelope's "header" has the member "${name}" twice.`, 'header')
  seen?.add(name)
}

/** Tokenizes the envelope's top-level object; `names` are the allowed members (`header` is the object
 *  one). `clean`: bytes known to hold neither '"' nor '\' (held shared content, PROTOCOL.md §17.8),
 *  which a string starting there is not scanned through again: the result is the same. */
export function readFlattened(buf: Buffer, names: readonly string[], maxHeaderBytes: number, clean?: ByteSpan): FlattenedJwe {
  let at = 0
  const skip = (): void => {
    while (isSpace(buf[at])) at++
  }
  const expect = (byte: number, what: string): void => {
    skip()
    if (buf[at] !== byte) throw malformed(`The envelope is not a JWE in flattened JSON serialization: expected ${what} at byte ${at}.`)
    at++
  }
  const stringAt = (what: string, max?: number): Buffer => {
    expect(QUOTE, `a string (${what})`)
    // The first '"' and '\' at or after `at` are the first ones after a clean span that starts there.
    const from = clean !== undefined && at === clean.start && clean.end <= buf.length ? clean.end : at
    const end = buf.indexOf(QUOTE, from)
    if (end < 0 || (max !== undefined && end - at > max)) throw malformed(`The envelope's ${what} is not a string of at most ${max ?? 'any'} bytes.`)
    const value = buf.subarray(at, end)
    if (buf.subarray(from, end).indexOf(BACKSLASH) >= 0) throw malformed(`The envelope's ${what} contains an escape; jose-v2 strings are written without escapes.`)
    at = end + 1
    return value
  }
  const objectAt = (): Buffer => {
    skip()
    if (buf[at] !== 0x7b) throw malformed('The envelope\'s "header" is not a JSON object.', 'header')
    const start = at
    const names: Array<Set<string>> = [] // member names per open object: a name twice is refused (§5.6)
    let inString = false
    let stringFrom = 0
    // PROTOCOL.md §17.7: the bytes as received, from "{" to its "}" (whitespace inside counts): the
    // closing brace is at most maxHeaderBytes - 1 past the opening one.
    for (; at < buf.length && at - start < maxHeaderBytes; at++) {
      const b = buf[at]
      if (inString) {
        if (b === BACKSLASH) at++
        else if (b === QUOTE) {
          inString = false
          let next = at + 1
          while (isSpace(buf[next])) next++
          if (buf[next] === 0x3a) memberName(names.at(-1), buf.subarray(stringFrom, at + 1))
        }
      } else if (b === QUOTE) {
        inString = true
        stringFrom = at
      } else if (b === 0x7b || b === 0x5b) names.push(new Set())
      else if ((b === 0x7d || b === 0x5d) && (names.pop(), names.length === 0)) return buf.subarray(start, ++at)
    }
    throw malformed(`The envelope's "header" is not a JSON object of at most ${maxHeaderBytes} bytes.`, 'header')
  }

  const strings = new Map<string, Buffer>()
  let header: Record<string, unknown> | undefined
  expect(0x7b, '"{"')
  for (let first = true; ; first = false) {
    skip()
    if (buf[at] === 0x7d && first) break
    const name = stringAt('member name', MAX_NAME).toString('latin1')
    if (!names.includes(name)) throw malformed(`The envelope has a member "${name}" that jose-v2 does not define.`, name)
    if (strings.has(name) || (name === 'header' && header !== undefined)) throw malformed(`The envelope has the member "${name}" twice.`, name)
    expect(0x3a, '":"')
    if (name === 'header') {
      const h = parseStrictJsonObject(objectAt()) // PROTOCOL.md §5.6: I-JSON
      if (!h.ok) throw malformed(`The envelope's "header" ${h.detail}.`, 'header')
      header = h.value
    } else {
      strings.set(name, stringAt(`"${name}"`))
    }
    skip()
    if (buf[at] === 0x2c) {
      at++
      continue
    }
    if (buf[at] === 0x7d) break
    throw malformed(`The envelope is not a JWE in flattened JSON serialization: expected "," or "}" at byte ${at}.`)
  }
  at++
  skip()
  if (at !== buf.length) throw malformed('The envelope has bytes after its JSON object.')
  return { strings, header }
}
