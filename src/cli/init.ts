// `saraban-node init`: what an agency's IT does first (issue 4 item 6). Makes the three key pairs
// (tls, signing, encryption; private keys 0600, optionally encrypted PKCS#8), one CSR per role for the
// federation CA, and a node.json skeleton that names the files the CA and the operator send back.
import { generateKeyPairSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile, access } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { parse, CliError } from './args.js'
import { AGENCY_ROLES, OFFICER_ROLES, createCsr } from '../pki/dev-csr.js'
import { AGENCY_ID } from '../domain/ids.js'
import type { Command } from './commands.js'

export const PASSPHRASE_ENV = 'SARABAN_KEY_PASSPHRASE'

const HELP = `Usage: saraban-node init --agency ID --out DIR [options]
       saraban-node init --agency ID --officer OFFICER --out DIR --passphrase-file F [--officer-role registrar|deputy]
                         [--name-th TEXT] [--name-en TEXT] [--position-th TEXT]

With --officer (a classified-information officer, PROTOCOL.md §19.1; run it on the officer's own
workstation, never on a node): officer-signing.key.pem and officer-encryption.key.pem (encrypted
PKCS#8, 0600), their CSRs for \`ca issue --role officer-signing|officer-encryption\`, and
officer-entry.json, the officer's \`officers\` entry for the directory operator.

Creates, in DIR (which must not hold keys already):
  tls.key.pem, signing.key.pem, encryption.key.pem   private keys (mode 0600; PKCS#8)
  tls.csr.pem, signing.csr.pem, encryption.csr.pem   certificate signing requests for the federation CA
  node.json                                          a config skeleton naming the files to come back:
                                                     <role>.chain.pem from the CA, root.crt.pem, the
                                                     directory and the CRL locations from the operator
  directory-entry.json                               this agency's directory entry for the operator

Options:
  --agency ID            the agency id the federation operator assigned (PROTOCOL.md §1.1)
  --out DIR              where to write (created, mode 0700)
  --key-type rsa|ec      RSA 2048 or EC P-256 (default ec)
  --passphrase-file F    encrypt the private keys (PKCS#8, AES-256-CBC, PBKDF2) with the first line of F;
                         node.json then reads the passphrase from $${PASSPHRASE_ENV}
  --name-en TEXT         English name (CSR commonName; default: the agency id)
  --name-th TEXT         Thai name (CSR organizationName)
  --federation-url URL   this node's federation endpoint (default https://127.0.0.1:8443)
  --api-port N           local API port in node.json (default 8080)
  --listen-all           both listeners on 0.0.0.0 in node.json: for a container (docker/Dockerfile
                         publishes 8443 and 8080), whose loopback the host cannot reach. Without it
                         the API listens on 127.0.0.1 and the federation listener on 127.0.0.1 for a
                         loopback --federation-url, else on 0.0.0.0. Protect the API port (API keys,
                         a firewall or the container's port mapping) when it listens on all interfaces.
  --host NAME            DNS name or IP address for the TLS certificate (repeatable; default localhost, 127.0.0.1)
  --anchor FILE          the federation root (PEM) for node.json (repeatable; default root.crt.pem in DIR)
  --directory LOCATION   the signed directory, a file or an https:// URL (default directory.jws in DIR)
  --crl LOCATION         a CRL the federation publishes, file or https:// URL (repeatable;
                         default root.crl and issuing-ca.crl in DIR)
Files given here are written into node.json relative to DIR, and directory-entry.json names the
chains relative to itself: DIR can be moved or copied to another machine as it is. The operator
adds the agency to the directory input as "file:<path to directory-entry.json>" (directory sign).
`

const IP = /^(?:\d{1,3}\.){3}\d{1,3}$|:/

export const initCommand: Command = {
  summary: 'onboarding: create keys, CSRs and a node.json skeleton for a new agency',
  help: HELP,
  async run(argv) {
    const { values } = parse(argv, {
      agency: { type: 'string' }, out: { type: 'string' }, 'key-type': { type: 'string' }, 'passphrase-file': { type: 'string' },
      'name-en': { type: 'string' }, 'name-th': { type: 'string' }, 'federation-url': { type: 'string' }, 'api-port': { type: 'string' },
      host: { type: 'string', multiple: true }, anchor: { type: 'string', multiple: true }, directory: { type: 'string' },
      crl: { type: 'string', multiple: true }, 'listen-all': { type: 'boolean' }, officer: { type: 'string' }, 'officer-role': { type: 'string' }, 'position-th': { type: 'string' },
    })
    if (!values.agency || !values.out) throw new CliError('init needs --agency and --out')
    if (!AGENCY_ID.test(values.agency)) throw new CliError('--agency must be an agency id (PROTOCOL.md §1.1)')
    if (values.officer !== undefined) return initOfficer(values as OfficerValues)
    const keyType = values['key-type'] ?? 'ec'
    if (keyType !== 'rsa' && keyType !== 'ec') throw new CliError('--key-type must be rsa or ec')
    const federationUrl = values['federation-url'] ?? 'https://127.0.0.1:8443'
    let url: URL
    try {
      url = new URL(federationUrl)
    } catch {
      throw new CliError('--federation-url must be an https:// URL')
    }
    if (url.protocol !== 'https:') throw new CliError('--federation-url must be an https:// URL')
    const apiPort = Number(values['api-port'] ?? 8080)
    if (!Number.isInteger(apiPort) || apiPort < 1 || apiPort > 65535) throw new CliError('--api-port must be a port number')
    const passphrase = values['passphrase-file'] ? await readPassphrase(values['passphrase-file']) : undefined
    const out = resolve(values.out)
    for (const role of AGENCY_ROLES) {
      if (await exists(join(out, `${role}.key.pem`))) throw new CliError(`${join(out, `${role}.key.pem`)} exists: init never overwrites keys`)
    }
    await mkdir(out, { recursive: true, mode: 0o700 })

    const hosts = values.host ?? ['localhost', '127.0.0.1']
    const subject = { commonName: values['name-en'] ?? values.agency, agencyId: values.agency, ...(values['name-th'] ? { organization: values['name-th'] } : {}) }
    for (const role of AGENCY_ROLES) {
      const key = newKey(keyType)
      await writeKey(join(out, `${role}.key.pem`), key, passphrase)
      const san = role === 'tls' ? { dns: hosts.filter((h) => !IP.test(h)), ip: hosts.filter((h) => IP.test(h)) } : undefined
      await writeFile(join(out, `${role}.csr.pem`), await createCsr(key, subject, san ? { san } : {}))
    }
    // Issue 21 §4: relative to node.json (config paths are resolved against its folder), never host paths.
    const fromOut = (l: string) => relative(out, resolve(l)) || '.'
    const where = (l: string) => (/^https:\/\//i.test(l) ? l : fromOut(l))
    const trust = {
      anchors: (values.anchor ?? ['root.crt.pem']).map((l) => (values.anchor ? fromOut(l) : l)),
      directory: values.directory ? where(values.directory) : 'directory.jws',
      crls: values.crl ? values.crl.map(where) : ['root.crl', 'issuing-ca.crl'],
      revocation: 'hard',
    }
    await writeFile(join(out, 'node.json'), JSON.stringify(skeleton(values.agency, url, apiPort, passphrase !== undefined, trust, values['listen-all'] === true), null, 2) + '\n')
    // The operator's input for `directory sign`: the certificates as "file:" references, relative to this
    // entry, to the chains the CA returns (the folder travels whole: issue 21 §4).
    await writeFile(join(out, 'directory-entry.json'), JSON.stringify({
      id: values.agency, nameTh: values['name-th'] ?? values.agency, nameEn: values['name-en'] ?? values.agency,
      endpoints: [url.origin],
      certificates: Object.fromEntries(AGENCY_ROLES.map((r) => [r, [`file:${r}.chain.pem`]])),
      profiles: ['jose-v1'], status: 'active',
    }, null, 2) + '\n')
    process.stdout.write([
      `created ${keyType === 'rsa' ? 'RSA 2048' : 'EC P-256'} keys${passphrase ? ' (encrypted PKCS#8)' : ''}, CSRs and node.json for "${values.agency}" in ${out}`,
      'next:',
      `  1. send ${AGENCY_ROLES.map((r) => `${r}.csr.pem`).join(', ')} to the federation CA; put the chains it returns`,
      `     in ${out} as tls.chain.pem, signing.chain.pem, encryption.chain.pem`,
      `  2. send directory-entry.json with those chains (the folder, keys left out) to the federation operator,`,
      `     who lists it in the directory input as "file:<path>/directory-entry.json"; check that node.json`,
      `     "trust" names the federation root, the directory and the CRLs`,
      `  3. saraban-node start --config ${join(out, 'node.json')}${passphrase ? `   (with ${PASSPHRASE_ENV} set)` : ''}`,
      '',
    ].join('\n'))
    return 0
  },
}

interface OfficerValues { agency: string; out: string; officer: string; 'officer-role'?: string; 'key-type'?: string; 'passphrase-file'?: string; 'name-th'?: string; 'name-en'?: string; 'position-th'?: string }

/** PROTOCOL.md §19.1: an officer's personal keys are made where the officer works and never reach a
 *  node, so they are always encrypted. */
async function initOfficer(v: OfficerValues): Promise<number> {
  if (!AGENCY_ID.test(v.officer)) throw new CliError('--officer must have the syntax of an agency id (PROTOCOL.md §1.1)')
  const role = v['officer-role'] ?? 'deputy'
  if (role !== 'registrar' && role !== 'deputy') throw new CliError('--officer-role must be registrar or deputy')
  if (!v['passphrase-file']) throw new CliError('an officer\'s keys are always encrypted: give --passphrase-file')
  const keyType = v['key-type'] ?? 'ec'
  if (keyType !== 'rsa' && keyType !== 'ec') throw new CliError('--key-type must be rsa or ec')
  const passphrase = await readPassphrase(v['passphrase-file'])
  const out = resolve(v.out)
  for (const r of OFFICER_ROLES) if (await exists(join(out, `${r}.key.pem`))) throw new CliError(`${join(out, `${r}.key.pem`)} exists: init never overwrites keys`)
  await mkdir(out, { recursive: true, mode: 0o700 })
  const subject = { commonName: v['name-en'] ?? v['name-th'] ?? v.officer, agencyId: v.agency }
  for (const r of OFFICER_ROLES) {
    const key = newKey(keyType)
    await writeKey(join(out, `${r}.key.pem`), key, passphrase)
    await writeFile(join(out, `${r}.csr.pem`), await createCsr(key, subject))
  }
  await writeFile(join(out, 'officer-entry.json'), JSON.stringify({
    id: v.officer, role, nameTh: v['name-th'] ?? v.officer, ...(v['name-en'] ? { nameEn: v['name-en'] } : {}),
    positionTh: v['position-th'] ?? (role === 'registrar' ? 'นายทะเบียนข้อมูลข่าวสารลับ' : 'ผู้ช่วยนายทะเบียนข้อมูลข่าวสารลับ'),
    certificates: Object.fromEntries(OFFICER_ROLES.map((r) => [r, [`file:${join(out, `${r}.chain.pem`)}`]])),
  }, null, 2) + '\n')
  process.stdout.write(`created officer keys (encrypted PKCS#8) and CSRs for "${v.officer}" of "${v.agency}" in ${out}\n`
    + `next: ca issue --role officer-signing|officer-encryption for each CSR; send officer-entry.json to the directory operator (agency "${v.agency}", member "officers")\n`)
  return 0
}

function newKey(type: 'rsa' | 'ec'): KeyObject {
  return type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
}

async function writeKey(file: string, key: KeyObject, passphrase: string | undefined): Promise<void> {
  const pem = passphrase === undefined
    ? key.export({ type: 'pkcs8', format: 'pem' })
    : key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) // PKCS#5 v2 PBES2
  await writeFile(file, pem, { mode: 0o600, flag: 'wx' })
  await chmod(file, 0o600) // the umask cannot widen it
}

async function readPassphrase(file: string): Promise<string> {
  const line = (await readFile(file, 'utf8')).split(/\r?\n/)[0] ?? ''
  if (line.length < 8) throw new CliError('the passphrase (first line of --passphrase-file) must have at least 8 characters')
  return line
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false)
}

function skeleton(agency: string, url: URL, apiPort: number, encrypted: boolean, trust: Record<string, unknown>, listenAll: boolean): Record<string, unknown> {
  const pair = (role: string) => ({ key: `${role}.key.pem`, cert: `${role}.chain.pem`, ...(encrypted ? { passphraseEnv: PASSPHRASE_ENV } : {}) })
  return {
    dataDir: 'data',
    tls: pair('tls'),
    trust,
    agencies: [{ id: agency, signing: pair('signing'), encryption: pair('encryption') }],
    // A loopback endpoint (development) listens on loopback; any other on every interface.
    // Issue 17 item 8: --listen-all (a container) puts both on every interface.
    federation: { host: !listenAll && /^(localhost|127\.[\d.]+)$/.test(url.hostname) ? '127.0.0.1' : '0.0.0.0', port: Number(url.port || 443) },
    api: { host: listenAll ? '0.0.0.0' : '127.0.0.1', port: apiPort, keys: [] },
  }
}
