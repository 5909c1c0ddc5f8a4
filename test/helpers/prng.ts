// A tiny seeded PRNG (mulberry32) for the crash run and the fuzzer: the same seed replays the same
// schedule of kills and the same sequence of mutated inputs. Not for anything secret.
export interface Rng {
  /** uniform in [0, 1) */
  next(): number
  /** integer in [0, n) */
  int(n: number): number
  /** integer in [lo, hi] */
  between(lo: number, hi: number): number
  pick<T>(items: readonly T[]): T
  chance(p: number): boolean
  bytes(n: number): Buffer
}

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  return {
    next,
    int,
    between: (lo, hi) => lo + int(hi - lo + 1),
    pick: (items) => items[int(items.length)]!,
    chance: (p) => next() < p,
    bytes: (n) => {
      const b = Buffer.alloc(n)
      for (let i = 0; i < n; i++) b[i] = int(256)
      return b
    },
  }
}
