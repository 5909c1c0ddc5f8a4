// Percentiles of the statistics report (issue 17 item 6): the nearest-rank method, so that every
// value reported is one that was observed (the median of 1, 2, 3, 4 is 2).
/** The p-th percentile (0 < p ≤ 100) of `values` by nearest rank; undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1]
}
