// The components of the description (issue 20 §2): readable schema names in place of the ids the
// schema files carry (urn:saraban:api:letter-status:v1 → LetterStatus), only the schemas an operation
// uses (no config schema, no parameter schema already inlined), and the headers that matter.
type Json = Record<string, any>

const PREFIX = '#/components/schemas/'

/** Names that read better than the file name would give. */
const NAMES: Readonly<Record<string, string>> = {
  'urn:saraban:api:inbox-message:v1': 'ReceivedLetter',
  'urn:saraban:api:letter-status:v1': 'SentLetter',
  'urn:saraban:protocol:common:v1': 'Common',
}

const pascal = (s: string) => s.replace(/(^|[-_.])([a-zA-Z0-9])/g, (_m, _sep, c: string) => c.toUpperCase())

/**
 * The component key @fastify/swagger gives a schema id (server.ts: every character outside
 * [A-Za-z0-9_.-] becomes '_'); a definition inside it is `<key>-<def>`.
 */
export const swaggerKey = (id: string) => id.replace(/[^A-Za-z0-9_.-]/g, '_')

/** Old component key → readable name, for every schema id given and every definition key seen. */
export function readableNames(ids: readonly string[], keys: readonly string[]): Map<string, string> {
  const whole = new Map<string, string>()
  // The API's own schemas first: on a clash (api:directory, protocol:directory) the other is prefixed
  // with its area (ProtocolDirectory).
  const area = (id: string) => /^urn:saraban:([a-z]+):/.exec(id)?.[1] ?? ''
  for (const id of [...ids].sort((a, b) => Number(area(b) === 'api') - Number(area(a) === 'api'))) {
    const m = /^urn:saraban:([a-z]+):([a-z0-9-]+):v[0-9]+$/.exec(id)
    const name = NAMES[id] ?? (m ? pascal(m[2]!) : pascal(swaggerKey(id)))
    whole.set(swaggerKey(id), [...whole.values()].includes(name) ? pascal(area(id)) + name : name)
  }
  const names = new Map<string, string>()
  const taken = new Set(whole.values())
  for (const [k, v] of whole) if (keys.includes(k)) names.set(k, v)
  // Definitions: their own name when no other schema has one of that name (the shared ones of Common
  // always), else prefixed with their schema's: Item → InboxListItem and OutboxListItem.
  const defs = keys.filter((k) => !names.has(k) && k.lastIndexOf('-') > 0)
  const count = new Map<string, number>()
  for (const k of defs) count.set(pascal(k.slice(k.lastIndexOf('-') + 1)), (count.get(pascal(k.slice(k.lastIndexOf('-') + 1))) ?? 0) + 1)
  const common = new Set(defs.filter((k) => whole.get(k.slice(0, k.lastIndexOf('-'))) === 'Common').map((k) => pascal(k.slice(k.lastIndexOf('-') + 1))))
  for (const key of keys) {
    if (names.has(key)) continue
    const dash = key.lastIndexOf('-')
    const parent = dash > 0 ? whole.get(key.slice(0, dash)) : undefined
    if (parent === undefined) { names.set(key, pascal(key)); continue }
    const def = pascal(key.slice(dash + 1))
    const alone = parent === 'Common' || (count.get(def) === 1 && !common.has(def) && !taken.has(def))
    names.set(key, alone ? def : parent + def)
  }
  const clash = [...names.values()].filter((n, i, all) => all.indexOf(n) !== i)
  if (clash.length > 0) throw new Error(`OpenAPI component names clash: ${clash.join(', ')}`)
  return names
}

/** Rewrites every `$ref` under `node` through `rename` (in place). */
export function renameRefs(node: unknown, rename: (ref: string) => string): void {
  if (Array.isArray(node)) { node.forEach((n) => renameRefs(n, rename)); return }
  if (node === null || typeof node !== 'object') return
  const o = node as Json
  if (typeof o.$ref === 'string') o.$ref = rename(o.$ref)
  for (const v of Object.values(o)) renameRefs(v, rename)
}

/** The component schema names reachable from `roots` (paths, responses…), through `schemas`. */
export function reachable(roots: unknown, schemas: Json): Set<string> {
  const seen = new Set<string>()
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) { node.forEach(visit); return }
    if (node === null || typeof node !== 'object') return
    const o = node as Json
    if (typeof o.$ref === 'string' && o.$ref.startsWith(PREFIX)) {
      const name = o.$ref.slice(PREFIX.length).split('/')[0]!
      if (!seen.has(name)) { seen.add(name); visit(schemas[name]) }
    }
    for (const v of Object.values(o)) visit(v)
  }
  visit(roots)
  return seen
}

/** Request headers an operation may name (operations.ts), as parameter components. */
export const PARAMETERS = {
  'Idempotency-Key': {
    name: 'Idempotency-Key', in: 'header', required: false,
    description: 'Makes a retry safe: the same key with the same request answers the first result again (200, `Idempotent-Replayed: true`) instead of acting twice; with a different request, 409 `ERR_IDEMPOTENCY_CONFLICT`.',
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\u0021-\\u007e]+$' },
    example: '5f0c2a9e-0b6d-4a53-9d43-2f4d3c1e7a10',
  },
  Range: {
    name: 'Range', in: 'header', required: false,
    description: 'One byte range (RFC 9110 §14.2): `bytes=a-b`, `bytes=a-` or `bytes=-n`; answered with 206 and Content-Range, or 416 when it lies outside the file.',
    schema: { type: 'string', maxLength: 200 }, example: 'bytes=0-1023',
  },
  'If-Range': {
    name: 'If-Range', in: 'header', required: false,
    description: 'The ETag of the file the range was computed against: a different file answers 200 with the whole of it.',
    schema: { type: 'string', maxLength: 200 },
  },
  'Last-Event-ID': {
    name: 'Last-Event-ID', in: 'header', required: false,
    description: 'Resume the stream after this event id (what an EventSource sends on reconnect; `?after=` does the same).',
    schema: { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' }, example: '42',
  },
} as const
export type RequestHeader = keyof typeof PARAMETERS

/** Response headers an answer may carry (operations.ts), as header components. */
export const HEADERS = {
  Location: { description: 'Where the created (or replayed) resource is read.', schema: { type: 'string', format: 'uri-reference' } },
  'Idempotent-Replayed': { description: '`true` when this answer replays the first result of the same Idempotency-Key.', schema: { type: 'string', enum: ['true'] } },
  ETag: { description: 'Strong validator of the file: its SHA-256 in hex, quoted.', schema: { type: 'string' } },
  'Repr-Digest': { description: 'RFC 9530 digest of the whole file (also on a 206): `sha-256=:<base64>:`.', schema: { type: 'string' } },
  'Accept-Ranges': { description: 'Always `bytes`.', schema: { type: 'string', enum: ['bytes'] } },
  'Content-Range': { description: 'The range sent, `bytes a-b/size` (206); `bytes */size` on a 416.', schema: { type: 'string' } },
  'Content-Disposition': { description: '`attachment` with the file name (RFC 6266; `filename*` for Thai names).', schema: { type: 'string' } },
} as const
export type ResponseHeader = keyof typeof HEADERS

/** Component key of a header or parameter: 'Idempotency-Key' → 'IdempotencyKey'. */
export const headerKey = (name: string) => name.replace(/-/g, '')
