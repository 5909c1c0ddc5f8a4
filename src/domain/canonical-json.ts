// Canonical JSON (RFC 8785 JCS) for the values the access record (PROTOCOL.md §19.7) and the
// transparency-log entries (§20.3) hold: objects with string keys, strings, safe integers, booleans
// and null. Keys sorted by UTF-16 code units (JCS §3.2.3), no whitespace, strings as JSON.stringify
// writes them (JCS §3.2.2.2 uses the same escaping). The same record always gives the same bytes,
// so its SHA-256 can be a transparency-log leaf (PROTOCOL.md §19.7, §20.3).
export type Canonical = string | number | boolean | null | readonly Canonical[] | { readonly [k: string]: Canonical | undefined }

/** Member names as JSON strings with their colon: entries use a few dozen names, and JSON.stringify of
 *  each name at every entry was a fifth of the serialization (issue 14 §6). Bounded: a record's own
 *  names (an access record's, §19.7) may be many. */
const KEYS_MAX = 512
const keys = new Map<string, string>()

function member(k: string): string {
  let q = keys.get(k)
  if (q === undefined) {
    q = `${JSON.stringify(k)}:`
    if (keys.size < KEYS_MAX) keys.set(k, q)
  }
  return q
}

export function canonicalJson(v: Canonical): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error('canonical JSON: only safe integers are allowed')
    return String(v)
  }
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x as Canonical)).join(',')}]`
  const o = v as { readonly [k: string]: Canonical | undefined }
  // One string built in place (no filtered, mapped and joined arrays): every log entry passes here (issue 14 §6).
  let out = '{'
  for (const k of Object.keys(o).sort()) {
    const x = o[k]
    if (x === undefined) continue
    out += `${out.length > 1 ? ',' : ''}${member(k)}${canonicalJson(x)}`
  }
  return `${out}}`
}
