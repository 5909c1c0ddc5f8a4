// The persistent DEV CA under certs-dev/ (PROTOCOL.md §15.1): its keys, what it revoked, and the CRLs
// it publishes. `dev-certs` creates it, `ca issue` / `ca revoke` / `ca crl` use it. DEV ONLY: the CA
// keys are in clear in a public repository.
//   certs-dev/ca/root.key.pem, issuing-ca.{key,crt}.pem, directory.{key,chain}.pem, state.json
//   certs-dev/crl/root.crl, issuing-ca.crl   (DER, what nodes list in trust.crls)
import { createHash, X509Certificate } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parsePemChain } from '../pki/cert.js'
import { loadPrivateKey } from '../pki/keys.js'
import { issueCrl } from '../pki/dev-crl.js'
import { normaliseSerial, type CrlReason } from '../pki/crl.js'
import type { FederationMaterial } from '../pki/dev-ca.js'
import type { KeyObject } from 'node:crypto'

export interface DevCaState {
  version: 1
  /** the cRLNumber of the CRLs last published (both CAs share the counter) */
  crlNumber: number
  /** nextUpdate of published CRLs = publication time + this */
  crlValidityDays: number
  /** days of validity of certificates `ca issue` makes */
  certValidityDays: number
  revoked: Array<{ ca: 'root' | 'issuing-ca'; serial: string; subject: string; revokedAt: string; reason: CrlReason }>
  /** What `ca issue` certified, by public key (one key, one role: issue 21 §4). Absent in older folders. */
  issued?: IssuedRecord[]
}

export interface IssuedRecord {
  serial: string
  agency: string
  role: string
  /** SHA-256 (hex) of the certified SubjectPublicKeyInfo DER */
  spkiSha256: string
  issuedAt: string
}

export interface DevCa {
  dir: string
  root: { key: KeyObject; cert: X509Certificate }
  issuing: { key: KeyObject; cert: X509Certificate; chain: X509Certificate[] }
  state: DevCaState
}

export const CRL_FILES = { root: join('crl', 'root.crl'), 'issuing-ca': join('crl', 'issuing-ca.crl') } as const

async function writeSecret(file: string, pem: string): Promise<void> {
  await writeFile(file, pem, { mode: 0o600 })
  await chmod(file, 0o600)
}

/** Writes the CA folder of a fresh dev federation and publishes its first CRLs. */
export async function writeDevCa(dir: string, fed: FederationMaterial, opts: { crlValidityDays: number; certValidityDays: number }): Promise<DevCa> {
  await mkdir(join(dir, 'ca'), { recursive: true })
  await writeSecret(join(dir, 'ca', 'root.key.pem'), fed.root.keyPem)
  await writeSecret(join(dir, 'ca', 'issuing-ca.key.pem'), fed.intermediate.keyPem)
  await writeFile(join(dir, 'ca', 'issuing-ca.crt.pem'), fed.intermediate.certPem)
  await writeSecret(join(dir, 'ca', 'directory.key.pem'), fed.directoryIssuer.keyPem)
  await writeFile(join(dir, 'ca', 'directory.chain.pem'), fed.directoryIssuer.chainPem)
  const ca: DevCa = {
    dir,
    root: { key: fed.root.key, cert: fed.root.cert },
    issuing: { key: fed.intermediate.key, cert: fed.intermediate.cert, chain: fed.intermediate.chain },
    // The dev agencies' own keys count for one key, one role (issue 21 §4) like those `ca issue` certifies.
    state: { version: 1, crlNumber: 0, revoked: [], ...opts, issued: Object.values(fed.agencies).flatMap((a) => (['tls', 'signing', 'encryption'] as const).map((role) => ({
      serial: a[role].cert.serialNumber.toLowerCase(), agency: a.spec.id, role, spkiSha256: spkiSha256(a[role].cert), issuedAt: new Date(a[role].cert.validFrom).toISOString(),
    }))) },
  }
  await publishCrls(ca)
  return ca
}

export async function openDevCa(dir: string): Promise<DevCa> {
  const read = (f: string) => readFile(join(dir, 'ca', f), 'utf8').catch(() => {
    throw new Error(`${join(dir, 'ca', f)} is missing: is ${dir} a dev federation made by \`saraban-node dev-certs\`?`)
  })
  const state = JSON.parse(await read('state.json')) as DevCaState
  if (state.version !== 1) throw new Error(`unknown dev CA state version ${String(state.version)}`)
  const issuingCert = parsePemChain(await read('issuing-ca.crt.pem'))[0]!
  return {
    dir,
    root: { key: loadPrivateKey(await read('root.key.pem')), cert: parsePemChain(await readFile(join(dir, 'root.crt.pem'), 'utf8'))[0]! },
    issuing: { key: loadPrivateKey(await read('issuing-ca.key.pem')), cert: issuingCert, chain: [issuingCert] },
    state,
  }
}

/** Signs and writes both CRLs with the next cRLNumber, then saves the state (RFC 5280 §5.2.3). */
export async function publishCrls(ca: DevCa, now = new Date()): Promise<void> {
  ca.state.crlNumber += 1
  const common = {
    thisUpdate: new Date(now.getTime() - 60_000),
    nextUpdate: new Date(now.getTime() + ca.state.crlValidityDays * 86_400_000),
    number: ca.state.crlNumber,
  }
  await mkdir(join(ca.dir, 'crl'), { recursive: true })
  for (const [name, issuer] of [['root', ca.root], ['issuing-ca', ca.issuing]] as const) {
    const entries = ca.state.revoked.filter((r) => r.ca === name).map((r) => ({ serial: r.serial, revokedAt: new Date(r.revokedAt), reason: r.reason }))
    const der = await issueCrl(issuer, { ...common, entries })
    const file = join(ca.dir, CRL_FILES[name])
    await writeFile(file + '.tmp', der)
    await rename(file + '.tmp', file) // a node reading the file never sees half of it
  }
  await saveState(ca)
}

export async function saveState(ca: DevCa): Promise<void> {
  await writeFile(join(ca.dir, 'ca', 'state.json'), JSON.stringify(ca.state, null, 2) + '\n')
}

/** SHA-256 hex of a certificate's SubjectPublicKeyInfo: the key, whatever certificate holds it. */
export function spkiSha256(cert: X509Certificate): string {
  return createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('hex')
}

/** Records the revocation of `cert` (issued by the root or the issuing CA) and republishes the CRLs. */
export async function revokeCertificate(ca: DevCa, cert: X509Certificate, reason: CrlReason, now = new Date()): Promise<DevCaState['revoked'][number]> {
  const which = cert.checkIssued(ca.issuing.cert) && cert.verify(ca.issuing.cert.publicKey) ? 'issuing-ca'
    : cert.checkIssued(ca.root.cert) && cert.verify(ca.root.cert.publicKey) ? 'root' : undefined
  if (which === undefined) throw new Error('the certificate was not issued by this dev CA')
  const serial = normaliseSerial(cert.serialNumber)
  const held = ca.state.revoked.find((r) => r.ca === which && r.serial === serial)
  if (held) return held
  const entry = { ca: which, serial, subject: cert.subject.replace(/\n/g, ', '), revokedAt: now.toISOString(), reason } as const
  ca.state.revoked.push(entry)
  await publishCrls(ca, now)
  return entry
}
