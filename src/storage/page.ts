// Keyset pagination over several agencies. One indexed range query per agency (each stops at the
// limit) merged here costs agencies × limit rows; a single `agency IN (…)` query would sort every
// row of those agencies for each page.
export interface PageOptions {
  agencies: readonly string[]
  limit: number
}

export function newestFirst<T>(opts: PageOptions, query: (agency: string) => T[], key: (row: T) => [number, string]): T[] {
  const agencies = [...new Set(opts.agencies)]
  if (agencies.length === 1) return query(agencies[0]!)
  const rows = agencies.flatMap(query).map((row) => ({ row, k: key(row) }))
  rows.sort((a, b) => b.k[0] - a.k[0] || (a.k[1] < b.k[1] ? 1 : a.k[1] > b.k[1] ? -1 : 0))
  return rows.slice(0, opts.limit).map((r) => r.row)
}
