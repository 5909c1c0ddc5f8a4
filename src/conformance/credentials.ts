// The kit's credentials folder (`--credentials DIR`, written by --make-federation or by a federation
// operator by hand): the kit's agency keys, and optional extras that some negative cases need; a case
// whose material is missing is skipped, and says which file it wanted.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { KeyObject, X509Certificate } from 'node:crypto'
import { parsePemChain } from '../pki/cert.js'
import { loadPrivateKey } from '../pki/keys.js'
import { TrustAnchors } from '../pki/validate.js'
import { Directory, verifyDirectory } from '../pki/directory.js'

/** kit.json: which agency the keys speak for, and (optional) the second agency of second/. */
export interface KitFile {
  readonly agency: string
  readonly second?: string
  /** the target agency id the federation was made for (informative: --agency decides) */
  readonly target?: string
}

export const KIT_FILE = 'kit.json'

/** A key and its chain (leaf first), as PEM for TLS and as objects for signing. */
export interface KeyPair {
  readonly keyPem: string
  readonly chainPem: string
  readonly key: KeyObject
  readonly chain: X509Certificate[]
}

export interface AgencyKeys {
  readonly agency: string
  readonly tls: KeyPair
  readonly signing: KeyPair
  readonly encryption: KeyPair
}

export type ExtraName = 'foreign-tls' | 'expired-tls' | 'revoked-tls' | 'expired-signing' | 'revoked-signing'
export const EXTRA_NAMES: readonly ExtraName[] = ['foreign-tls', 'expired-tls', 'revoked-tls', 'expired-signing', 'revoked-signing']

export interface KitCredentials {
  readonly dir: string
  readonly me: AgencyKeys
  readonly second: AgencyKeys | undefined
  readonly extra: Partial<Record<ExtraName, KeyPair>>
  readonly rootPem: string
  readonly anchors: TrustAnchors
  readonly directory: Directory
}

function readPair(dir: string, name: string): KeyPair {
  const keyPem = readFileSync(join(dir, `${name}.key.pem`), 'utf8')
  const chainPem = readFileSync(join(dir, `${name}.chain.pem`), 'utf8')
  return { keyPem, chainPem, key: loadPrivateKey(keyPem), chain: parsePemChain(chainPem) }
}

function readAgency(dir: string, agency: string): AgencyKeys {
  return { agency, tls: readPair(dir, 'tls'), signing: readPair(dir, 'signing'), encryption: readPair(dir, 'encryption') }
}

/** Reads the folder; the directory is `directoryFile` or the folder's directory.jws, verified against
 *  the folder's root.crt.pem as a node verifies it (PROTOCOL.md §1.4). Throws one sentence naming the file. */
export async function loadCredentials(dir: string, directoryFile?: string): Promise<KitCredentials> {
  const need = (f: string) => {
    if (!existsSync(join(dir, f))) throw new Error(`${join(dir, f)} is missing: a credentials folder holds ${KIT_FILE}, root.crt.pem and {tls,signing,encryption}.{key,chain}.pem (see --make-federation)`)
  }
  for (const f of [KIT_FILE, 'root.crt.pem', 'tls.key.pem', 'tls.chain.pem', 'signing.key.pem', 'signing.chain.pem', 'encryption.key.pem', 'encryption.chain.pem']) need(f)
  const kit = JSON.parse(readFileSync(join(dir, KIT_FILE), 'utf8')) as KitFile
  if (typeof kit.agency !== 'string') throw new Error(`${join(dir, KIT_FILE)}: "agency" (the kit's agency id) is required`)
  const rootPem = readFileSync(join(dir, 'root.crt.pem'), 'utf8')
  const roots = parsePemChain(rootPem)
  const dirFile = directoryFile ?? join(dir, 'directory.jws')
  if (!existsSync(dirFile)) throw new Error(`${dirFile} is missing: give the signed directory with --directory`)
  const doc = await verifyDirectory(readFileSync(dirFile, 'utf8').trim(), new TrustAnchors(roots), new Date())
  const directory = new Directory(doc)
  const anchors = new TrustAnchors(roots, { intermediates: directory.intermediates() })
  const second = kit.second !== undefined && existsSync(join(dir, 'second', 'tls.key.pem')) ? readAgency(join(dir, 'second'), kit.second) : undefined
  const extra: Partial<Record<ExtraName, KeyPair>> = {}
  for (const n of EXTRA_NAMES) if (existsSync(join(dir, 'extra', `${n}.key.pem`))) extra[n] = readPair(join(dir, 'extra'), n)
  return { dir, me: readAgency(dir, kit.agency), second, extra, rootPem, anchors, directory }
}
