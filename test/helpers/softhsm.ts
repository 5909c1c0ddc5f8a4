// A real SoftHSM2 token for tests (issue 12 §1): a private SOFTHSM2_CONF and token directory under a
// temp dir, keys, public keys and certificates written with pkcs11-tool (PKCS#8 DER), all
// under the key's label, as an operator would (README "Keys on a PKCS#11 token").
// SoftHSM reads SOFTHSM2_CONF at C_Initialize: the helper sets it in process.env, so one process
// uses one SoftHSM configuration at a time (a tap file is a process).
import { execFileSync } from 'node:child_process'
import { createPrivateKey, createPublicKey, type X509Certificate } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const SOFTHSM_MODULE = process.env['SOFTHSM2_MODULE'] ?? '/usr/lib/softhsm/libsofthsm2.so'

/** Why the PKCS#11 tests cannot run here, or undefined when they can. */
export function softhsmMissing(): string | undefined {
  if (!existsSync(SOFTHSM_MODULE)) return `SoftHSM2 is not installed (no ${SOFTHSM_MODULE}): apt-get install softhsm2 opensc (.ci/run does)`
  for (const tool of ['softhsm2-util', 'pkcs11-tool']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
    } catch {
      return `${tool} is not installed: apt-get install softhsm2 opensc (.ci/run does)`
    }
  }
  return undefined
}

export interface SoftToken {
  readonly dir: string
  readonly module: string
  readonly label: string
  readonly pin: string
  readonly soPin: string
  /** Imports a private key (any PEM node:crypto reads) under `label`, with its certificate if given. */
  importKey(label: string, keyPem: string | Buffer, cert?: X509Certificate, id?: string): void
  remove(): void
}

let tokens = 0

/** Initialises a fresh token in a private SoftHSM2 configuration (and points SOFTHSM2_CONF at it). */
export function softToken(label = 'saraban-test', pin = '123456', soPin = '12345678'): SoftToken {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-softhsm-'))
  mkdirSync(join(dir, 'tokens'), { mode: 0o700 })
  const conf = join(dir, 'softhsm2.conf')
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`)
  process.env['SOFTHSM2_CONF'] = conf
  const env = { ...process.env, SOFTHSM2_CONF: conf }
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  run('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin])
  let ids = 0
  tokens++
  return {
    dir, module: SOFTHSM_MODULE, label, pin, soPin,
    importKey(keyLabel, keyPem, cert, id = (++ids + tokens * 16).toString(16).padStart(2, '0')) {
      // pkcs11-tool --write-object, as README "Keys on a PKCS#11 token" shows: it sets the usage flags
      // (softhsm2-util --import leaves CKA_DERIVE false, so ECDH would be refused), then the public
      // key and the certificate under the same label and id.
      const key = createPrivateKey(keyPem)
      const usage = key.asymmetricKeyType === 'rsa' ? ['--usage-sign', '--usage-decrypt'] : ['--usage-sign', '--usage-derive']
      const write = (file: string, der: Buffer, type: string, extra: string[] = []) => {
        writeFileSync(file, der, { mode: 0o600 })
        try {
          run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', label, '--login', '--pin', pin, '--write-object', file, '--type', type, '--label', keyLabel, '--id', id, ...extra])
        } finally {
          rmSync(file, { force: true })
        }
      }
      write(join(dir, `key-${id}.der`), key.export({ type: 'pkcs8', format: 'der' }), 'privkey', usage)
      write(join(dir, `pub-${id}.der`), createPublicKey(key).export({ type: 'spki', format: 'der' }), 'pubkey')
      if (cert) write(join(dir, `cert-${id}.der`), cert.raw, 'cert')
    },
    remove() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
