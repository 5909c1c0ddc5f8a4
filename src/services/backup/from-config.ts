// What a node's backup carries besides its data directory, read from its config (README "Backups"):
// the config file, every certificate file, and the private key files (used only when the backup is
// encrypted: issue 17 item 3, a backup without keys cannot open the letters received encrypted).
// Keys on a PKCS#11 token are not files and are listed as not included. The backup is signed with
// the node's TLS key (manifest.ts says why) and encrypted to config backup.recipient when it is set.
import { readFileSync } from 'node:fs'
import type { X509Certificate } from 'node:crypto'
import type { Config, KeyFiles } from '../../config/index.js'
import { isTokenKey, type TokenKey } from '../../crypto/keys/token-config.js'
import { parsePemChain } from '../../pki/cert.js'
import { SarabanError } from '../../errors.js'
import { recipientRowFor } from '../../crypto/cms/recipient-info.js'
import { loadPrivateKey } from '../../pki/keys.js'
import type { BackupInput, ExtraFile } from './write.js'

export function backupInputFrom(config: Config, snapshot: BackupInput['snapshot'], now: Date, skip: readonly string[] = []): BackupInput {
  const files: ExtraFile[] = [{ path: 'config/node.json', file: config.file, kind: 'config' }]
  const keysNotIncluded: string[] = []
  const keyPair = (at: string, k: KeyFiles | TokenKey, name: string): void => {
    if (isTokenKey(k)) return void keysNotIncluded.push(`${name} (PKCS#11 token)`)
    files.push({ path: `pki/${at}/cert.pem`, file: k.cert, kind: 'certificate' }, { path: `pki/${at}/key.pem`, file: k.key, kind: 'private-key' })
  }
  keyPair('tls', config.tls, 'tls')
  for (const a of config.agencies) {
    keyPair(`${a.id}/signing`, a.signing, `${a.id} signing`)
    keyPair(`${a.id}/encryption`, a.encryption, `${a.id} encryption`)
  }
  const chain = parsePemChain(readFileSync(config.tls.cert, 'utf8'))
  const key = loadPrivateKey(readFileSync(config.tls.key, 'utf8'), config.tls.passphrase)
  return {
    dataDir: config.dataDir,
    snapshot,
    files,
    agencies: config.agencies.map((a) => a.id),
    keysNotIncluded,
    signer: { key, chain },
    ...(config.backup.recipient !== undefined ? { recipient: recipientCertificate(config.backup.recipient) } : {}),
    skip,
    now,
  }
}

/** The first certificate of the backup.recipient PEM file, of a key kind CMS can encrypt to; else a
 *  configuration error naming the file (exit 4 from the CLI, no start for the node). */
export function recipientCertificate(file: string): X509Certificate {
  const bad = (why: string) => new SarabanError('ERR_CONFIG_INVALID', `backup.recipient ${file} ${why}: give the PEM certificate of the operator's backup key (RSA ≥ 2048 or EC P-256)`, { field: '/backup/recipient' })
  let cert: X509Certificate | undefined
  try {
    cert = parsePemChain(readFileSync(file, 'utf8'))[0]
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw bad(code !== undefined ? `cannot be read (${code})` : 'holds no PEM certificate')
  }
  if (cert === undefined) throw bad('holds no PEM certificate')
  if (recipientRowFor(cert) === undefined) throw bad('holds a key CMS cannot encrypt to')
  return cert
}
