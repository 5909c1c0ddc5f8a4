// The backup manifest (issue 17 item 3, README "Backups"): every file of the backup with its size and
// SHA-256, the schema migration level of the database, and whether private keys are inside. It is the
// payload of a compact JWS (the archive's first member, manifest.jws) signed with the node's TLS key:
// the one key every node has as a file (agency signing keys may sit on a PKCS#11 token, and they sign
// letters in an agency's name, which a backup is not), whose certificate chains to the federation's
// anchors, so `restore --config` can tell a backup this node made from one re-signed by anybody else.
import type { KeyObject, X509Certificate } from 'node:crypto'
import { signCompactJws, verifyCompactJws } from '../../pki/compact-jws.js'
import { parseStrictJsonObject } from '../../domain/strict-json.js'
import { BackupError } from './errors.js'

export const MANIFEST_MEMBER = 'manifest.jws'
export const MANIFEST_TYP = 'saraban-backup+jws'
export const FORMAT = 'saraban-backup-1'
/** The manifest is small; a bigger first member is not ours. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024

export type FileKind = 'database' | 'data' | 'config' | 'certificate' | 'private-key'

export interface BackupFile {
  /** The member name in the archive: data/… (into the data directory), config/… or pki/… (into --config-dir). */
  readonly path: string
  readonly size: number
  /** lowercase hex */
  readonly sha256: string
  readonly kind: FileKind
  /** Where the file was taken from (config and pki files), for the operator putting it back. */
  readonly origin?: string
}

export interface Manifest {
  readonly format: typeof FORMAT
  readonly createdAt: string
  /** The database's migration level (PRAGMA user_version, src/storage/migrations). */
  readonly schemaVersion: number
  readonly agencies: readonly string[]
  readonly encrypted: boolean
  /** Private key files are carried only inside an encrypted backup. */
  readonly keysIncluded: boolean
  /** Keys that are not files (PKCS#11) and so are never in a backup. */
  readonly keysNotIncluded: readonly string[]
  readonly files: readonly BackupFile[]
}

export function signManifest(m: Manifest, signer: { key: KeyObject; chain: readonly X509Certificate[] }): Buffer {
  return Buffer.from(signCompactJws(MANIFEST_TYP, Buffer.from(JSON.stringify(m)), signer), 'latin1')
}

// Member names: relative, no empty, '.' or '..' segments, a portable character set (POSIX 3.282).
const MEMBER = /^(data|config|pki)(\/[A-Za-z0-9_][A-Za-z0-9._-]*)+$/
const KINDS: ReadonlySet<string> = new Set(['database', 'data', 'config', 'certificate', 'private-key'])

function damaged(detail: string): BackupError {
  return new BackupError('damaged', detail)
}

function file(v: unknown, i: number): BackupFile {
  const f = v as Record<string, unknown>
  const ok = typeof f === 'object' && f !== null &&
    typeof f['path'] === 'string' && MEMBER.test(f['path']) && Buffer.byteLength(f['path']) < 100 &&
    Number.isSafeInteger(f['size']) && (f['size'] as number) >= 0 &&
    typeof f['sha256'] === 'string' && /^[0-9a-f]{64}$/.test(f['sha256']) &&
    typeof f['kind'] === 'string' && KINDS.has(f['kind']) &&
    (f['origin'] === undefined || typeof f['origin'] === 'string')
  if (!ok) throw damaged(`the manifest's file ${i} is not well-formed`)
  return f as unknown as BackupFile
}

/** Verifies the JWS with its x5c leaf and checks the manifest's shape; whether the signer is trusted is the caller's. */
export function openManifest(jws: Buffer): { manifest: Manifest; chain: X509Certificate[] } {
  const verified = verifyCompactJws(jws.toString('latin1'), MANIFEST_TYP, (detail) => damaged(`the manifest signature: ${detail}`))
  const parsed = parseStrictJsonObject(verified.payload)
  if (!parsed.ok) throw damaged(`the manifest ${parsed.detail}`)
  const m = parsed.value
  if (m['format'] !== FORMAT) throw new BackupError('unsupported', `its format is ${JSON.stringify(m['format'])}, not ${FORMAT}`)
  const files = Array.isArray(m['files']) ? m['files'].map(file) : undefined
  if (files === undefined || typeof m['createdAt'] !== 'string' || !Number.isSafeInteger(m['schemaVersion']) ||
      typeof m['encrypted'] !== 'boolean' || typeof m['keysIncluded'] !== 'boolean' || !Array.isArray(m['agencies']) || !Array.isArray(m['keysNotIncluded'])) {
    throw damaged('the manifest is not well-formed')
  }
  if (new Set(files.map((f) => f.path)).size !== files.length) throw damaged('the manifest names a file twice')
  return { manifest: m as unknown as Manifest, chain: verified.chain }
}
