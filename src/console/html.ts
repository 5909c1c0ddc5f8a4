// Server-rendered HTML without a template engine (issue 17 item 2: no front-end build): a tagged
// template that escapes every interpolated value unless it is already Html.
export class Html {
  constructor(readonly text: string) {}
  toString(): string { return this.text }
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!)
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[]

function piece(v: Value): string {
  if (v === null || v === undefined || v === false) return ''
  if (v instanceof Html) return v.text
  if (Array.isArray(v)) return v.map(piece).join('')
  return escapeHtml(String(v))
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!
  values.forEach((v, i) => { out += piece(v) + strings[i + 1]! })
  return new Html(out)
}

/** A query string from the members that have a value. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}
