// The agencies this node hosts, with their signing and decryption identities (PROTOCOL.md §1.3).
// Keys are loaded once at boot; decryption keys are found by the certificate thumbprint the
// envelope names (JWE `x5t#S256`), so an agency may hold more than one during a key rollover.
import { readFileSync } from 'node:fs'
import { createHash, type KeyObject, type X509Certificate } from 'node:crypto'
import { parsePemChain } from '../pki/cert.js'
import { loadPrivateKey } from '../pki/keys.js'
import type { SignerIdentity } from '../crypto/profiles.js'

export interface KeyFiles {
  readonly key: string
  readonly cert: string
  readonly passphrase?: string | undefined
}

export interface HostedAgencyFiles {
  readonly id: string
  readonly signing: KeyFiles
  readonly encryption: KeyFiles
}

export interface DecryptionKey {
  readonly key: KeyObject
  readonly cert: X509Certificate
  readonly thumbprint: string // base64url SHA-256 of the certificate DER (RFC 7515 §4.1.8)
}

export interface HostedAgency {
  readonly id: string
  readonly signer: SignerIdentity
  readonly decryption: readonly DecryptionKey[]
}

export function certThumbprint(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('base64url')
}

function loadPair(files: KeyFiles): { key: KeyObject; chain: X509Certificate[] } {
  const key = loadPrivateKey(readFileSync(files.key, 'utf8'), files.passphrase)
  const chain = parsePemChain(readFileSync(files.cert, 'utf8'))
  if (chain.length === 0) throw new Error(`no certificate in ${files.cert}`)
  if (!chain[0]!.checkPrivateKey(key)) throw new Error(`the key ${files.key} does not match the certificate ${files.cert}`)
  return { key, chain }
}

export class HostedAgencies {
  readonly #byId = new Map<string, HostedAgency>()
  readonly #byThumbprint = new Map<string, { agency: string; key: DecryptionKey }>()

  constructor(agencies: readonly HostedAgency[]) {
    for (const a of agencies) {
      this.#byId.set(a.id, a)
      for (const k of a.decryption) this.#byThumbprint.set(k.thumbprint, { agency: a.id, key: k })
    }
  }

  static load(files: readonly HostedAgencyFiles[]): HostedAgencies {
    return new HostedAgencies(
      files.map((f) => {
        const signing = loadPair(f.signing)
        const enc = loadPair(f.encryption)
        return {
          id: f.id,
          signer: { agency: f.id, key: signing.key, chain: signing.chain },
          decryption: [{ key: enc.key, cert: enc.chain[0]!, thumbprint: certThumbprint(enc.chain[0]!) }],
        }
      }),
    )
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

  /** Every decryption key of `agency`, newest first: during a rollover the envelope names which one. */
  decryptionKeys(agency: string): readonly DecryptionKey[] {
    return this.#byId.get(agency)?.decryption ?? []
  }

  /** The decryption key of `agency` whose certificate has this thumbprint. */
  decryptionKey(agency: string, thumbprint: string): DecryptionKey | undefined {
    const hit = this.#byThumbprint.get(thumbprint)
    return hit && hit.agency === agency ? hit.key : undefined
  }
}
