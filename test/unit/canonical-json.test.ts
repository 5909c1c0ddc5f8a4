// Canonical JSON (RFC 8785 JCS) as src/domain/canonical-json.ts writes it for log entries and access
// records (PROTOCOL.md §19.7, §20.3): keys sorted by UTF-16 code units, undefined members left out,
// no whitespace, strings escaped as JSON.stringify does, only safe integers. Checked against a plain
// reference written from JCS §3.2 on fixed and on generated values.
import t from 'tap'
import { canonicalJson, type Canonical } from '../../src/domain/canonical-json.js'
import { mulberry32 } from '../helpers/prng.js'

function reference(v: Canonical): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map((x) => reference(x as Canonical)).join(',')}]`
  const o = v as { readonly [k: string]: Canonical | undefined }
  const keys = Object.keys(o).filter((k) => o[k] !== undefined)
  keys.sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.charCodeAt(i) - b.charCodeAt(i)
    return a.length - b.length
  })
  return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(o[k]!)}`).join(',')}}`
}

t.test('fixed cases', async (t) => {
  t.equal(canonicalJson({ b: 1, a: 'x', c: undefined }), '{"a":"x","b":1}', 'sorted, undefined left out')
  t.equal(canonicalJson({}), '{}')
  t.equal(canonicalJson({ a: undefined }), '{}', 'only undefined members: empty object')
  t.equal(canonicalJson({ z: { y: [1, null, true, 'ก'] }, a: [] }), '{"a":[],"z":{"y":[1,null,true,"ก"]}}')
  // UTF-16 code units: U+FFFD sorts after U+1F600's high surrogate (0xD83D), unlike code points.
  t.equal(canonicalJson({ '\uFFFD': 1, '\u{1F600}': 2, 'เรื่อง': 3, a: 4 }), '{"a":4,"เรื่อง":3,"😀":2,"�":1}')
  t.equal(canonicalJson({ 'a"\n': '\u0001' }), '{"a\\"\\n":"\\u0001"}', 'escaping as JSON.stringify')
  t.throws(() => canonicalJson({ n: 0.5 }), /safe integers/)
  t.throws(() => canonicalJson({ n: 2 ** 53 }), /safe integers/)
})

t.test('generated values: the same text as the reference', async (t) => {
  const g = mulberry32(20261207)
  const rnd = () => g.next()
  const keyChars = ['a', 'b', 'Z', '_', 'ก', 'ข', '\u{1F600}', '\uFFFD', '"', '\\', '\u0000', 'é']
  const key = () => Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => keyChars[Math.floor(rnd() * keyChars.length)]).join('')
  const value = (depth: number): Canonical | undefined => {
    const r = rnd()
    if (r < 0.1) return undefined
    if (r < 0.2) return null
    if (r < 0.3) return rnd() < 0.5
    if (r < 0.45) return Math.floor((rnd() - 0.5) * 2 ** 40)
    if (r < 0.7 || depth > 2) return key()
    if (r < 0.8) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1) ?? null)
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 6) }, () => [key(), value(depth + 1)])) as Canonical
  }
  let n = 0
  for (let i = 0; i < 500; i++) {
    const v = value(0) ?? null
    if (canonicalJson(v) !== reference(v)) t.fail(`differs for ${JSON.stringify(v)}`)
    else n++
  }
  t.equal(n, 500, 'all 500 agree')
})

// The encoded member names are kept (issue 14 §6): past the bound, and with names that need escaping,
// the bytes are still the reference's, and a name seen before encodes as it did the first time.
t.test('member names kept encoded: many names, escaped names, repeated', async (t) => {
  const many: Record<string, number> = {}
  for (let i = 0; i < 1200; i++) many[`k${i}\u0001"${i % 7}`] = i
  t.equal(canonicalJson(many), reference(many), 'more names than are kept')
  t.equal(canonicalJson(many), reference(many), 'the same names again')
  for (const o of [{ 'a"': 1 }, { 'a\\': 2 }, { 'a"': 3, 'a\\': 4, a: 5 }]) t.equal(canonicalJson(o), reference(o))
})
