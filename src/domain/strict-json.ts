// Strict JSON for signed texts (PROTOCOL.md §5.6): strict UTF-8 (RFC 8259 §8.1), a JSON object, and
// no member name twice in any object (RFC 7493 §2.3, I-JSON). Two parsers can read two different
// letters from one signed text with a repeated name (one keeps the first, JSON.parse the last), so
// every signed header and payload is refused when a name repeats, at any depth.

export type StrictJsonProblem = 'utf8' | 'syntax' | 'not-object' | 'duplicate'

export type StrictJson =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly problem: StrictJsonProblem; readonly detail: string; /** JSON Pointer of the repeated member */ readonly pointer?: string }

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Parses `raw` as a strict I-JSON object (PROTOCOL.md §5.6). */
export function parseStrictJsonObject(raw: Uint8Array | string): StrictJson {
  let text: string
  if (typeof raw === 'string') {
    text = raw
  } else {
    try {
      text = utf8.decode(raw)
    } catch {
      return { ok: false, problem: 'utf8', detail: 'is not strict UTF-8' }
    }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, problem: 'syntax', detail: 'is not JSON' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: 'not-object', detail: 'is not a JSON object' }
  const pointer = firstDuplicateMember(text)
  if (pointer !== undefined) return { ok: false, problem: 'duplicate', pointer, detail: `names the member ${pointer} twice (RFC 7493 §2.3)` }
  return { ok: true, value: value as Record<string, unknown> }
}

interface Frame {
  readonly names: Set<string> | undefined // undefined: an array
  readonly path: string
  expectName: boolean
  last: string // the last member name, or the array index as text
  index: number
}

const escape = (name: string): string => name.replace(/~/g, '~0').replace(/\//g, '~1')

/**
 * The JSON Pointer (RFC 6901) of the first member whose name repeats a name of the same object, or
 * undefined. `text` MUST already be valid JSON (JSON.parse accepted it): this only walks its tokens.
 * Names are compared after unescaping ("a" and "\u0061" are the same name).
 */
export function firstDuplicateMember(text: string): string | undefined {
  const stack: Frame[] = []
  const n = text.length
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 0x22 /* " */) {
      let end = text.indexOf('"', i + 1)
      for (;;) {
        // a quote preceded by an odd number of backslashes is inside the string
        let k = end - 1
        while (text.charCodeAt(k) === 0x5c /* \ */) k--
        if ((end - 1 - k) % 2 === 0) break
        end = text.indexOf('"', end + 1)
      }
      const top = stack[stack.length - 1]
      if (top?.names !== undefined && top.expectName) {
        const inner = text.slice(i + 1, end)
        const name = inner.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : inner
        if (top.names.has(name)) return `${top.path}/${escape(name)}`
        top.names.add(name)
        top.last = name
        top.expectName = false
      }
      i = end + 1
      continue
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const top = stack[stack.length - 1]
      const path = top === undefined ? '' : `${top.path}/${top.names !== undefined ? escape(top.last) : String(top.index)}`
      stack.push({ names: c === 0x7b ? new Set() : undefined, path, expectName: c === 0x7b, last: '', index: 0 })
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop()
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1]!
      if (top.names !== undefined) top.expectName = true
      else top.index++
    }
    i++
  }
  return undefined
}
