// The API keys of the node's config file (api.keys), replaceable while the node runs: SIGHUP re-reads
// the config file and swaps them in (issue 21 §2), so a key added works and a key removed stops
// working without a restart. Each request asks the table (api/auth.ts), never keeps a copy.

export interface ApiKeyEntry {
  readonly name: string
  readonly sha256: string
  readonly agencies: readonly string[]
  /** 'classified' (PROTOCOL.md §19.5); absent: none. */
  readonly scopes?: readonly string[] | undefined
}

export class ApiKeyTable {
  #byHash: ReadonlyMap<string, ApiKeyEntry>

  constructor(keys: readonly ApiKeyEntry[]) {
    this.#byHash = ApiKeyTable.#index(keys)
  }

  static #index(keys: readonly ApiKeyEntry[]): ReadonlyMap<string, ApiKeyEntry> {
    return new Map(keys.map((k) => [k.sha256.toLowerCase(), k]))
  }

  get(sha256: string): ApiKeyEntry | undefined {
    return this.#byHash.get(sha256)
  }

  hashes(): ReadonlySet<string> {
    return new Set(this.#byHash.keys())
  }

  /** Swaps the whole set; says which key names came and went (for the log: names, never digests). */
  replace(keys: readonly ApiKeyEntry[]): { added: string[]; removed: string[] } {
    const before = new Map([...this.#byHash.values()].map((k) => [k.sha256.toLowerCase(), k.name]))
    this.#byHash = ApiKeyTable.#index(keys)
    return {
      added: keys.filter((k) => !before.has(k.sha256.toLowerCase())).map((k) => k.name),
      removed: [...before].filter(([h]) => !this.#byHash.has(h)).map(([, name]) => name),
    }
  }
}
