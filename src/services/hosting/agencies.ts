// The agencies this node hosts (PROTOCOL.md §1.3, §16), each with its own keys and API keys. The
// set changes at run time (hosted-agencies-dir.ts adds, replaces and removes agencies without a
// restart); every reader asks this registry at the moment it needs an agency, never keeps a copy.
// Key rollover (PROTOCOL.md §16.4): an agency may hold several key pairs per role. It signs with the
// newest valid signing certificate, preferring those the directory lists, and decrypts with the key
// whose certificate the envelope names.
import { readFileSync } from 'node:fs'
import { createHash, type X509Certificate } from 'node:crypto'
import { fingerprint, notAfter, notBefore, parsePemChain } from '../../pki/cert.js'
import { loadPrivateKey } from '../../pki/keys.js'
import { openPkcs11Key } from '../../crypto/keys/pkcs11.js'
import { isKeyHandle, keyMatchesCertificate, type PrivateKeyRef } from '../../crypto/keys/private-key.js'
import { isTokenKey, type TokenKey } from '../../crypto/keys/token-config.js'
import type { Directory } from '../../pki/directory.js'
import type { SignerIdentity } from '../../crypto/profiles.js'

export interface KeyFiles {
  readonly key: string
  readonly cert: string
  readonly passphrase?: string | undefined
}

/** Where one key of an agency lives: PEM files, or a PKCS#11 token (issue 12 §1). */
export type KeySource = KeyFiles | TokenKey

export interface HostedAgencyFiles {
  readonly id: string
  readonly signing: KeySource | readonly KeySource[]
  readonly encryption: KeySource | readonly KeySource[]
  /** API keys that act for this agency alone (name + SHA-256 hex of the key). */
  readonly apiKeys?: readonly HostedApiKey[]
  /** Letter owner code, e.g. 'มท 0201.2' (README "Registers"). */
  readonly ownerCode?: string | undefined
  /** PROTOCOL.md §19.8: the explicit switch for labelled classified plaintext (default off). */
  readonly allowClassifiedPlaintext?: boolean | undefined
  /** The agency's own webhook endpoints, secrets already read (README "Notifications"). */
  readonly webhooks?: readonly AgencyWebhook[] | undefined
}

/** A webhook endpoint of one hosted agency; its events only. */
export interface AgencyWebhook {
  readonly name: string
  readonly url: string
  /** HMAC key of the whsec_ secret. Secret: never logged. */
  readonly key: Buffer
  /** undefined: every type. */
  readonly types?: ReadonlySet<string> | undefined
}

export interface HostedApiKey {
  readonly name: string
  readonly sha256: string
  /** 'classified' (PROTOCOL.md §19.5) */
  readonly scopes?: readonly string[] | undefined
}

export interface DecryptionKey {
  readonly key: PrivateKeyRef
  readonly cert: X509Certificate
  readonly thumbprint: string // base64url SHA-256 of the certificate DER (RFC 7515 §4.1.8)
}

export interface SigningKey {
  readonly key: PrivateKeyRef
  readonly chain: X509Certificate[] // leaf first, no root
}

export interface HostedAgency {
  readonly id: string
  /** The signing identity to use now (chosen at each access: rollover, §16.4). */
  readonly signer: SignerIdentity
  readonly signing: readonly SigningKey[]
  readonly decryption: readonly DecryptionKey[]
  readonly apiKeys: readonly HostedApiKey[]
  /** Letter owner code for outgoing letter numbers (README "Registers"); absent: none configured. */
  readonly ownerCode?: string | undefined
  readonly allowClassifiedPlaintext?: boolean | undefined
  /** Webhook endpoints from the agency file (README "Notifications"). */
  readonly webhooks?: readonly AgencyWebhook[] | undefined
}

export interface HostedOptions {
  readonly now?: () => number
  /** The directory in force, so that a signing certificate it does not list yet is used last. */
  readonly directory?: () => Directory
}

export function certThumbprint(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('base64url')
}

function loadPair(source: KeySource): { key: PrivateKeyRef; chain: X509Certificate[] } {
  return isTokenKey(source) ? loadTokenPair(source) : loadFilePair(source)
}

/** A key on a token: operations run there; the chain from `cert`, else the token's certificate object. */
function loadTokenPair(source: TokenKey): { key: PrivateKeyRef; chain: X509Certificate[] } {
  const { handle, certificate } = openPkcs11Key({ ...source.pkcs11 })
  try {
    const chain = source.cert !== undefined ? parsePemChain(readFileSync(source.cert, 'utf8')) : certificate ? [certificate] : []
    const where = source.cert ?? `the token's certificate object "${source.pkcs11.keyLabel}"`
    if (chain.length === 0) throw new Error(`${handle.describe} has no certificate object of the same label on the token: give "cert" (the PEM chain file) in the config`)
    if (!keyMatchesCertificate(handle, chain[0]!)) throw new Error(`${handle.describe} does not match the certificate ${where}`)
    return { key: handle, chain }
  } catch (err) {
    handle.close()
    throw err
  }
}

function loadFilePair(files: KeyFiles): { key: PrivateKeyRef; chain: X509Certificate[] } {
  const key = loadPrivateKey(readFileSync(files.key, 'utf8'), files.passphrase)
  const chain = parsePemChain(readFileSync(files.cert, 'utf8'))
  if (!chain[0]!.checkPrivateKey(key)) throw new Error(`the key ${files.key} does not match the certificate ${files.cert}`)
  return { key, chain }
}

const list = <T>(v: T | readonly T[]): readonly T[] => (Array.isArray(v) ? (v as readonly T[]) : [v as T])

/** Reads every key and certificate file of one agency; throws a plain Error naming the file at fault. */
export function loadAgencyKeys(files: HostedAgencyFiles): Omit<HostedAgency, 'signer'> {
  // Opened one by one, so that a failure closes the token sessions already opened (nothing half held).
  const signing: SigningKey[] = []
  const decryption: DecryptionKey[] = []
  try {
    for (const f of list(files.signing)) signing.push(loadPair(f))
    for (const f of list(files.encryption)) {
      const { key, chain } = loadPair(f)
      decryption.push({ key, cert: chain[0]!, thumbprint: certThumbprint(chain[0]!) })
    }
  } catch (err) {
    closeKeys({ signing, decryption })
    throw err
  }
  return {
    id: files.id,
    signing,
    decryption,
    apiKeys: files.apiKeys ?? [],
    ...(files.ownerCode !== undefined ? { ownerCode: files.ownerCode } : {}),
    ...(files.allowClassifiedPlaintext === true ? { allowClassifiedPlaintext: true } : {}),
    ...(files.webhooks && files.webhooks.length > 0 ? { webhooks: files.webhooks } : {}),
  }
}

/** PROTOCOL.md §16.4: among the certificates valid at `at`, those the directory lists come first,
 *  then the newest notBefore; the first listed on a tie. None valid: the newest, so that the peer
 *  answers with a coded refusal instead of this node failing silently. */
export function chooseSigningKey(keys: readonly SigningKey[], at: Date, listed: (leaf: X509Certificate) => boolean): SigningKey {
  const valid = keys.filter((k) => notBefore(k.chain[0]!) <= at && at <= notAfter(k.chain[0]!))
  const pool = valid.length > 0 ? valid : keys
  const rank = (k: SigningKey) => (listed(k.chain[0]!) ? 1 : 0)
  return pool.reduce((best, k) => {
    const byListing = rank(k) - rank(best)
    if (byListing !== 0) return byListing > 0 ? k : best
    return notBefore(k.chain[0]!) > notBefore(best.chain[0]!) ? k : best
  })
}

// The signing identity of each key, made once (the getter below); a replaced agency brings new keys.
const identities = new WeakMap<SigningKey, SignerIdentity>()

export class HostedAgencies {
  readonly #byId = new Map<string, HostedAgency>()
  readonly #byApiKey = new Map<string, string>() // sha256 → agency id
  readonly #opts: HostedOptions

  constructor(agencies: ReadonlyArray<Omit<HostedAgency, 'signer'>>, opts: HostedOptions = {}) {
    this.#opts = opts
    for (const a of agencies) this.put(a)
  }

  static load(files: readonly HostedAgencyFiles[], opts: HostedOptions = {}): HostedAgencies {
    return new HostedAgencies(files.map(loadAgencyKeys), opts)
  }

  /** Adds or replaces an agency. Throws, changing nothing, if one of its API keys belongs to another agency. */
  put(a: Omit<HostedAgency, 'signer'>): void {
    for (const k of a.apiKeys) {
      const owner = this.#byApiKey.get(k.sha256.toLowerCase())
      if (owner !== undefined && owner !== a.id) throw new Error(`API key "${k.name}" is already a key of agency ${owner}`)
    }
    this.remove(a.id)
    const opts = this.#opts
    const agency: HostedAgency = {
      ...a,
      get signer(): SignerIdentity {
        const at = new Date(opts.now?.() ?? Date.now())
        const dir = opts.directory?.()
        const k = chooseSigningKey(a.signing, at, (leaf) => dir?.isSigningCertOf(a.id, fingerprint(leaf)) ?? false)
        // One object per key, not one per access: crypto/jose/jws.ts caches a signer's encoded header
        // (alg, typ, x5c) by its identity, and a new object at each use made every receipt and letter
        // check the key against its certificate and encode the chain again (issue 16 item 1).
        let id = identities.get(k)
        if (id === undefined) identities.set(k, (id = { agency: a.id, key: k.key, chain: k.chain }))
        return id
      },
    }
    this.#byId.set(a.id, agency)
    for (const k of a.apiKeys) this.#byApiKey.set(k.sha256.toLowerCase(), a.id)
  }

  /** Stops hosting an agency: its envelopes are refused and its API keys stop working at once. */
  remove(id: string): boolean {
    const old = this.#byId.get(id)
    if (!old) return false
    for (const k of old.apiKeys) this.#byApiKey.delete(k.sha256.toLowerCase())
    return this.#byId.delete(id)
  }

  get(id: string): HostedAgency | undefined {
    return this.#byId.get(id)
  }

  has(id: string): boolean {
    return this.#byId.has(id)
  }

  ids(): string[] {
    return [...this.#byId.keys()]
  }

  /** The API key entry for a key digest (lowercase hex), acting for its agency alone. */
  apiKey(sha256: string): { name: string; sha256: string; agencies: readonly string[]; scopes: readonly string[] } | undefined {
    const id = this.#byApiKey.get(sha256)
    const k = id === undefined ? undefined : this.#byId.get(id)?.apiKeys.find((x) => x.sha256.toLowerCase() === sha256)
    return k && id !== undefined ? { name: k.name, sha256, agencies: [id], scopes: k.scopes ?? [] } : undefined
  }

  /** Closes the token sessions of every hosted agency's keys (a no-op for keys from files). */
  close(): void {
    for (const a of this.#byId.values()) closeKeys(a)
  }

  /** Every decryption key of `agency`: during a rollover the envelope names which one. */
  decryptionKeys(agency: string): readonly DecryptionKey[] {
    return this.#byId.get(agency)?.decryption ?? []
  }

  /** The decryption key of `agency` whose certificate has this thumbprint. */
  decryptionKey(agency: string, thumbprint: string): DecryptionKey | undefined {
    return this.decryptionKeys(agency).find((k) => k.thumbprint === thumbprint)
  }
}

/** Releases the token sessions an agency's keys hold. */
export function closeKeys(a: Pick<HostedAgency, 'signing' | 'decryption'>): void {
  for (const k of [...a.signing, ...a.decryption]) if (isKeyHandle(k.key)) k.key.close()
}
