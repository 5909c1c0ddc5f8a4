// The stores' SQL, written for SQLite, in PostgreSQL's dialect (issue 19 §1: one model, two engines).
// The schema was made to keep the two close (postgresql/baseline.ts lists its rules: same names, bigint
// for INTEGER, bytea for BLOB, text COLLATE "C", a rowid identity column where the stores read
// insertion order); what is left is rewritten here, once per statement text, as a named table of
// rules applied to the statement's tokens in order. Migration 054 adds the few SQLite functions the
// stores call (json_each, json_extract, json_valid, instr) to PostgreSQL, so those pass unchanged.
// A statement no rule can carry over is written twice in its store (Db.engine says which runs).

export interface Translated {
  /** The text with each parameter as `$n` and no type: see typed(). */
  readonly text: string
  /** The text around the parameters: text = parts[0] $slots[0] parts[1] … */
  readonly parts: readonly string[]
  /** The $n of each parameter, in the order they appear. */
  readonly slots: readonly number[]
  /** Named parameters (@name, :name, $name) in $n order; undefined when the statement uses `?`. */
  readonly names: readonly string[] | undefined
  /** How many `?` parameters (positional statements). */
  readonly positional: number
}

type Kind = 'space' | 'comment' | 'string' | 'quoted' | 'word' | 'param' | 'number' | 'punct'
interface Token {
  kind: Kind
  text: string
}

const TOKEN = /(\s+)|(--[^\n]*|\/\*[\s\S]*?\*\/)|('(?:[^']|'')*')|("(?:[^"]|"")*")|([A-Za-z_][A-Za-z0-9_]*)|(\?\d*|[@$][A-Za-z_][A-Za-z0-9_]*|(?<!:):[A-Za-z_][A-Za-z0-9_]*)|(\d+(?:\.\d+)?)|([\s\S])/y
const KINDS: readonly Kind[] = ['space', 'comment', 'string', 'quoted', 'word', 'param', 'number', 'punct']

function tokenize(sql: string): Token[] {
  const out: Token[] = []
  TOKEN.lastIndex = 0
  let m: RegExpExecArray | null
  while (TOKEN.lastIndex < sql.length && (m = TOKEN.exec(sql)) !== null) {
    const i = m.findIndex((g, n) => n > 0 && g !== undefined)
    out.push({ kind: KINDS[i - 1]!, text: m[0] })
  }
  return out
}

/** The index of the next token that is not space or comment, from i on. */
function next(t: Token[], i: number): number {
  while (i < t.length && (t[i]!.kind === 'space' || t[i]!.kind === 'comment')) i++
  return i
}

function word(t: Token[], i: number, ...words: string[]): boolean {
  const tok = t[i]
  return tok !== undefined && tok.kind === 'word' && words.includes(tok.text.toUpperCase())
}

/** The index of the `)` that closes the `(` at i, and whether a comma stands at its top level. */
function closing(t: Token[], i: number): { end: number; comma: boolean } {
  let depth = 0
  let comma = false
  for (let j = i; j < t.length; j++) {
    const s = t[j]!.kind === 'punct' ? t[j]!.text : ''
    if (s === '(') depth++
    else if (s === ')' && --depth === 0) return { end: j, comma }
    else if (s === ',' && depth === 1) comma = true
  }
  return { end: t.length, comma }
}

interface State {
  readonly t: Token[]
  names: string[] | undefined
  positional: number
  /** INSERT OR IGNORE: ON CONFLICT DO NOTHING goes before RETURNING, or at the end. */
  ignore: boolean
}

/** Each rule looks at the token at i and may rewrite it (and those after it); in this order. */
const RULES: ReadonlyArray<{ readonly name: string; readonly apply: (s: State, i: number) => void }> = [
  {
    // better-sqlite3 binds ?, ?NNN, @name, :name and $name; PostgreSQL numbers them $1, $2…
    name: 'parameters are numbered',
    apply(s, i) {
      const tok = s.t[i]!
      if (tok.kind !== 'param') return
      if (tok.text.startsWith('?')) {
        s.positional++
        tok.text = tok.text.length > 1 ? `$${tok.text.slice(1)}` : `$${s.positional}`
        return
      }
      const name = tok.text.slice(1)
      s.names ??= []
      let n = s.names.indexOf(name)
      if (n < 0) n = s.names.push(name) - 1
      tok.text = `$${n + 1}`
    },
  },
  {
    // SQLite keeps an unquoted alias's case (AS messageId); PostgreSQL folds it to lower case. The
    // schema's own names are all lower case, so a name with capitals is an alias, and is quoted.
    name: 'aliases keep their case',
    apply(s, i) {
      const tok = s.t[i]!
      if (tok.kind === 'word' && /[a-z]/.test(tok.text) && /[A-Z]/.test(tok.text)) tok.text = `"${tok.text}"`
    },
  },
  {
    name: 'INSERT OR IGNORE is ON CONFLICT DO NOTHING',
    apply(s, i) {
      if (!word(s.t, i, 'INSERT')) return
      const or = next(s.t, i + 1)
      const ignore = next(s.t, or + 1)
      if (!word(s.t, or, 'OR') || !word(s.t, ignore, 'IGNORE')) return
      for (let j = i + 1; j <= ignore; j++) s.t[j]!.text = ''
      s.ignore = true
    },
  },
  {
    // "a IS NOT 'x'" / "a IS @x": SQLite compares any value with IS; PostgreSQL only NULL and truth.
    name: 'IS with a value is IS [NOT] DISTINCT FROM',
    apply(s, i) {
      if (!word(s.t, i, 'IS')) return
      let j = next(s.t, i + 1)
      const not = word(s.t, j, 'NOT')
      if (not) j = next(s.t, j + 1)
      if (j >= s.t.length || word(s.t, j, 'NULL', 'TRUE', 'FALSE', 'DISTINCT')) return
      s.t[i]!.text = not ? 'IS DISTINCT FROM ' : 'IS NOT DISTINCT FROM'
      if (not) for (let k = i + 1; k < j; k++) s.t[k]!.text = ''
    },
  },
  {
    // max(a, b) and min(a, b) of two or more values are SQLite's scalar functions.
    name: 'max and min of several values are GREATEST and LEAST',
    apply(s, i) {
      if (!word(s.t, i, 'MAX', 'MIN')) return
      const open = next(s.t, i + 1)
      if (s.t[open]?.text !== '(') return
      if (closing(s.t, open).comma) s.t[i]!.text = word(s.t, i, 'MAX') ? 'GREATEST' : 'LEAST'
    },
  },
  {
    // x'00ff': SQLite's blob literal.
    name: 'blob literals are bytea',
    apply(s, i) {
      const tok = s.t[i]!
      const lit = s.t[i + 1]
      if (tok.kind !== 'word' || (tok.text !== 'x' && tok.text !== 'X') || lit?.kind !== 'string') return
      tok.text = ''
      lit.text = `'\\x${lit.text.slice(1, -1)}'::bytea`
    },
  },
  {
    // SQLite's LIKE ignores the case of ASCII letters; ILIKE does the same (Thai has no case).
    name: 'LIKE is ILIKE',
    apply(s, i) {
      if (word(s.t, i, 'LIKE')) s.t[i]!.text = 'ILIKE'
    },
  },
  {
    // CAST(text AS BLOB) is the text's UTF-8 bytes in SQLite; PostgreSQL's cast to bytea would read
    // backslashes in it as escapes, so it is convert_to(text, 'UTF8').
    name: 'CAST to BLOB is convert_to',
    apply(s, i) {
      if (!word(s.t, i, 'CAST')) return
      const open = next(s.t, i + 1)
      if (s.t[open]?.text !== '(') return
      const { end } = closing(s.t, open)
      let blob = end - 1
      while (blob > open && s.t[blob]!.kind === 'space') blob--
      let as = blob - 1
      while (as > open && s.t[as]!.kind === 'space') as--
      if (!word(s.t, blob, 'BLOB') || !word(s.t, as, 'AS')) return
      s.t[i]!.text = 'convert_to'
      s.t[as]!.text = ','
      s.t[blob]!.text = "'UTF8'"
    },
  },
  {
    // CAST(x AS INTEGER) would be a 32-bit integer; the schema's integers are bigint.
    name: 'CAST types are the schema\'s',
    apply(s, i) {
      if (!word(s.t, i, 'AS')) return
      const j = next(s.t, i + 1)
      const to = { INTEGER: 'bigint', REAL: 'double precision' }[s.t[j]?.kind === 'word' ? s.t[j]!.text.toUpperCase() : ''] as string | undefined
      if (to !== undefined) s.t[j]!.text = to
    },
  },
  {
    // "FROM t INDEXED BY i": a planner hint only SQLite knows; PostgreSQL's planner chooses alone.
    name: 'INDEXED BY is dropped',
    apply(s, i) {
      if (!word(s.t, i, 'INDEXED')) return
      const by = next(s.t, i + 1)
      const name = next(s.t, by + 1)
      if (!word(s.t, by, 'BY')) return
      for (let j = i; j <= name; j++) s.t[j]!.text = ''
    },
  },
]

/** PostgreSQL's text for one SQLite statement (cached by the caller per text). */
export function translate(sql: string): Translated {
  const s: State = { t: tokenize(sql), names: undefined, positional: 0, ignore: false }
  for (let i = 0; i < s.t.length; i++) {
    const kind = s.t[i]!.kind
    if (kind === 'space' || kind === 'comment' || kind === 'string' || kind === 'quoted') continue
    for (const r of RULES) r.apply(s, i)
  }
  if (s.ignore) insertDoNothing(s.t)
  const parts: string[] = ['']
  const slots: number[] = []
  for (const tok of s.t) {
    if (tok.kind === 'param') {
      slots.push(Number(tok.text.slice(1)))
      parts.push('')
    } else parts[parts.length - 1] += tok.text
  }
  return { text: render(parts, slots, () => ''), parts, slots, names: s.names, positional: s.positional }
}

/** The cast each kind of value gets: SQLite values carry their type, PostgreSQL parameters do not (it
 *  infers one from where each stands, and cannot in "@now + priority * @agingMs" or "? IS NULL"). So a
 *  parameter is typed by the value bound to it, as SQLite would see it; NULL is left to inference. */
const CAST: Record<string, string> = { i: '::bigint', f: '::float8', t: '::text', b: '::bytea', n: '' }

/** The kind of one bound value (typed()'s signature letter). */
export function kindOf(v: unknown): string {
  if (v === null) return 'n'
  if (typeof v === 'number') return Number.isInteger(v) ? 'i' : 'f'
  if (typeof v === 'bigint') return 'i'
  if (typeof v === 'string') return 't'
  return 'b'
}

/** The statement's text for values of these kinds (`signature`: one kindOf letter per $n). */
export function typed(t: Translated, signature: string): string {
  return render(t.parts, t.slots, (n) => CAST[signature[n - 1] ?? 'n'] ?? '')
}

function render(parts: readonly string[], slots: readonly number[], cast: (n: number) => string): string {
  let out = parts[0]!
  for (let i = 0; i < slots.length; i++) out += `$${slots[i]}${cast(slots[i]!)}${parts[i + 1]}`
  return out
}

function insertDoNothing(t: Token[]): void {
  let depth = 0
  for (let i = 0; i < t.length; i++) {
    if (t[i]!.text === '(') depth++
    else if (t[i]!.text === ')') depth--
    else if (depth === 0 && word(t, i, 'RETURNING')) {
      t[i]!.text = `ON CONFLICT DO NOTHING ${t[i]!.text}`
      return
    }
  }
  let end = t.length
  while (end > 0 && (t[end - 1]!.kind === 'space' || t[end - 1]!.text === ';')) end--
  t.splice(end, 0, { kind: 'word', text: ' ON CONFLICT DO NOTHING' })
}
