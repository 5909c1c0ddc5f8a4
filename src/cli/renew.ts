// `saraban-node renew` (issue 17 item 5): for every certificate of the node that expires within
// --days (its TLS certificate, each hosted agency's signing and encryption certificate in use), a new
// key of the same kind (0600; encrypted with the same passphrase when the current one is) and a
// PKCS#10 request for the same subject, written next to the current files; it prints what to send to
// the CA and what to do with what comes back. Nothing in use is touched: the node takes a new signing
// or encryption certificate into use by itself once it holds it and the directory lists it (§16.4).
import { chmod, readFile, writeFile, readdir, access } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { KeyObject, X509Certificate } from 'node:crypto'
import { loadConfig } from '../config/index.js'
import type { KeyFiles } from '../config/types.js'
import { notAfter, parsePemChain } from '../pki/cert.js'
import { newKeyLike, renewalCsr } from '../pki/renewal-csr.js'
import { packageRoot } from '../version.js'
import { parse, CliError } from './args.js'
import { EXIT } from './exit-codes.js'
import type { Command } from './commands.js'

const DAY_MS = 86_400_000

const HELP = `Usage: saraban-node renew [--config FILE] [--days N] [--agency ID] [--all]

For every certificate of this node that expires within N days (default 30; the thresholds of
expiry.certificateDays warn at 30 and 7): its TLS certificate and each hosted agency's signing and
encryption certificate in use (node.json "agencies" and the files of hosting.agenciesDir), makes a new
key of the same kind and a certificate signing request (PKCS#10, PEM) for the same subject, next to
the current files:
  <name>.renewed-YYYYMMDD.key.pem   the new private key (mode 0600; encrypted like the current one)
  <name>.renewed-YYYYMMDD.csr.pem   the request to send to the federation CA
and prints what to do with the certificate the CA returns. Keys on a PKCS#11 token are named, not
renewed (make the key on the token). Files that exist are never overwritten.

Options:
  --config FILE   the node's config (default: SARABAN_CONFIG, else the embedded development config)
  --days N        renew what expires within N days (default 30)
  --agency ID     only this hosted agency's certificates (and not the node's TLS certificate)
  --all           renew every certificate, whatever its expiry
`

interface Target {
  readonly what: string
  readonly role: 'tls' | 'signing' | 'encryption'
  readonly agency?: string
  readonly files: KeyFiles
  /** Where the pair is configured, for the instructions. */
  readonly configuredIn: string
}

export const renewCommand: Command = {
  summary: 'make new keys and CSRs for the certificates that near expiry (renewal without downtime)',
  help: HELP,
  async run(argv) {
    const { values } = parse(argv, { config: { type: 'string' }, days: { type: 'string' }, agency: { type: 'string' }, all: { type: 'boolean' } })
    const days = Number(values.days ?? 30)
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw new CliError('--days must be a whole number of days between 1 and 3650')
    const config = loadConfig({ file: values.config, env: process.env, packageRoot: packageRoot() })
    const targets = await targetsOf(config, values.agency)
    if (values.agency !== undefined && targets.length === 0) throw new CliError(`this node hosts no agency "${values.agency}": give one of its agencies`)
    const now = Date.now()
    const stamp = new Date(now).toISOString().slice(0, 10).replace(/-/g, '')
    const out: string[] = []
    let renewed = 0
    for (const t of targets) {
      if ('pkcs11' in t.files) {
        out.push(`${t.what}: the key is on a PKCS#11 token; make the new key on the token and its request with the token's tools`)
        continue
      }
      const leaf = await readLeaf(t.files.cert)
      const left = notAfter(leaf).getTime() - now
      if (!values.all && left > days * DAY_MS) continue
      const base = t.files.key.replace(/(\.key)?\.pem$/i, '')
      const keyFile = `${base}.renewed-${stamp}.key.pem`
      const csrFile = `${base}.renewed-${stamp}.csr.pem`
      const chainFile = `${base}.renewed-${stamp}.chain.pem`
      if (await exists(keyFile)) {
        out.push(`${t.what}: ${keyFile} exists already (renewed today); send ${csrFile} to the CA if not done yet`)
        continue
      }
      const key = newKeyLike(leaf)
      await writeKey(keyFile, key, t.files.passphrase)
      await writeFile(csrFile, await renewalCsr(key, leaf), { flag: 'wx' })
      renewed++
      const when = left <= 0 ? `expired at ${notAfter(leaf).toISOString()}` : `expires at ${notAfter(leaf).toISOString()} (in ${Math.floor(left / DAY_MS)} days)`
      out.push(
        `${t.what} ${when}:`,
        `  new key  ${keyFile} (mode 0600${t.files.passphrase !== undefined ? ', encrypted with the current key\'s passphrase' : ''})`,
        `  request  ${csrFile}  -> send it to the federation CA`,
        `  then     save the chain it returns (leaf first) as ${chainFile}`,
        ...nextSteps(t, keyFile, chainFile),
      )
    }
    if (renewed === 0 && out.length === 0) out.push(`no certificate of this node expires within ${days} days; nothing to renew`)
    process.stdout.write(out.join('\n') + '\n')
    return EXIT.OK
  },
}

function nextSteps(t: Target, keyFile: string, chainFile: string): string[] {
  if (t.role === 'tls') {
    return [
      `           send the new certificate to the directory operator to list beside the current one, then point`,
      `           "tls" in ${t.configuredIn} to ${keyFile} and ${chainFile} and restart the node`,
    ]
  }
  return [
    `           add {"key": "${keyFile}", "cert": "${chainFile}"} beside the current pair in "${t.role}" of ${t.configuredIn}`,
    `           (a list keeps both), reload (SIGHUP), and have the directory operator list the new certificate:`,
    `           the node ${t.role === 'signing' ? 'signs with it' : 'is sealed to with it'} once the directory lists it, without a restart`,
  ]
}

async function targetsOf(config: ReturnType<typeof loadConfig>, only: string | undefined): Promise<Target[]> {
  const targets: Target[] = []
  if (only === undefined) targets.push({ what: 'the TLS certificate of this node', role: 'tls', files: config.tls, configuredIn: config.file })
  for (const a of config.agencies) {
    if (only !== undefined && a.id !== only) continue
    for (const role of ['signing', 'encryption'] as const) {
      targets.push({ what: `the ${role} certificate of ${a.id}`, role, agency: a.id, files: a[role] as KeyFiles, configuredIn: config.file })
    }
  }
  const dir = config.hosting.agenciesDir
  if (dir === undefined) return targets
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort()) {
    const file = join(dir, name)
    const raw = JSON.parse(await readFile(file, 'utf8')) as { id: string } & Record<'signing' | 'encryption', RawKey | RawKey[]>
    if (only !== undefined && raw.id !== only) continue
    for (const role of ['signing', 'encryption'] as const) {
      const current = await inUse(Array.isArray(raw[role]) ? raw[role] : [raw[role]], dirname(file))
      if (current) targets.push({ what: `the ${role} certificate of ${raw.id}`, role, agency: raw.id, files: current, configuredIn: file })
    }
  }
  return targets
}

interface RawKey { key?: string; cert?: string; passphraseEnv?: string; pkcs11?: unknown }

/** Of an agency file's pairs for one role, the one whose certificate expires last (the one in use). */
async function inUse(pairs: readonly RawKey[], base: string): Promise<KeyFiles | undefined> {
  let best: { files: KeyFiles; until: number } | undefined
  for (const p of pairs) {
    if (p.pkcs11 !== undefined) return { pkcs11: p.pkcs11 } as unknown as KeyFiles
    if (p.key === undefined || p.cert === undefined) continue
    const files: KeyFiles = {
      key: resolve(base, p.key), cert: resolve(base, p.cert),
      ...(p.passphraseEnv !== undefined && process.env[p.passphraseEnv] !== undefined ? { passphrase: process.env[p.passphraseEnv]!, passphraseEnv: p.passphraseEnv } : {}),
    }
    const until = notAfter(await readLeaf(files.cert)).getTime()
    if (!best || until > best.until) best = { files, until }
  }
  return best?.files
}

async function readLeaf(file: string): Promise<X509Certificate> {
  try {
    return parsePemChain(await readFile(file, 'utf8'))[0]!
  } catch (err) {
    throw new CliError(`cannot read the certificate ${file} (${(err as Error).message}): check the path in the config`, EXIT.CONFIG)
  }
}

async function writeKey(file: string, key: KeyObject, passphrase: string | undefined): Promise<void> {
  const pem = passphrase === undefined
    ? key.export({ type: 'pkcs8', format: 'pem' })
    : key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
  await writeFile(file, pem, { mode: 0o600, flag: 'wx' })
  await chmod(file, 0o600) // the umask cannot widen it
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false)
}
