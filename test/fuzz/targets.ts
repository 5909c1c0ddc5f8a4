// The fuzz targets by name (issue 13 §4), each built fresh for a run and closed after it.
import { federationTarget } from './federation.js'
import { apiTarget } from './api.js'
import { parsersTarget } from './parsers.js'
import type { Target } from './engine.js'

const TARGETS: Record<string, (o: { timeoutMs: number }) => Promise<Target>> = {
  federation: federationTarget,
  api: apiTarget,
  parsers: parsersTarget,
}

export function fuzzTargets(names: readonly string[], o: { timeoutMs: number }) {
  return names.map((name) => {
    const make = TARGETS[name]
    if (!make) throw new Error(`unknown fuzz target "${name}" (have: ${Object.keys(TARGETS).join(', ')})`)
    return { name, make: () => make(o) }
  })
}
