// `conformance --make-federation DIR`: a throwaway federation for an implementation under test
// (issue 15 "The kit"): a root and issuing CA, a signed directory (PROTOCOL.md §1.4) listing the
// target agency and the kit's two agencies, both CAs' CRLs (§15.1), the target's keys and a node.json
// for this implementation, and the kit's credentials, including the extra certificates its negative
// cases need (another CA, an expired and a revoked TLS and signing certificate).
// Never for production: every private key is written in clear.
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { isIP } from 'node:net'
import { createFederation, federationCrls, issueCertificate, type Issued } from '../pki/dev-ca.js'
import { toBase64Der } from '../pki/cert.js'
import { signDirectory, type DirectoryDocument } from '../pki/directory.js'
import { KIT_FILE, type KitFile } from './credentials.js'

export interface MakeFederationOptions {
  /** the target's federation URL, as the directory lists it (PROTOCOL.md §1.4 `endpoints`) */
  readonly targetUrl: string
  /** the target agency id; default `target` */
  readonly targetAgency?: string
  /** the envelope profiles the target accepts, most preferred first; default all three */
  readonly profiles?: readonly string[]
  /** the kit's own endpoint (listed for its agency; the kit listens there only with --listen) */
  readonly kitUrl?: string
  /** the profiles the kit's agency accepts, most preferred first: the target seals its letters to the
   *  kit in the first it supports, so this picks the profile of the --listen and bad-receipt cases;
   *  default jose-v1, cms-v1, jose-v2 */
  readonly kitProfiles?: readonly string[]
  /** the target's key type (its tls, signing and encryption keys); default ec (P-256) */
  readonly targetKeyType?: 'rsa' | 'ec'
  /** PROTOCOL.md §16: the target is a hosting node (`<agency>-node` in the directory's `nodes`, with
   *  the TLS certificate) that hosts the target agency and a second one, `<agency>-2`; default false */
  readonly hostingNode?: boolean
  readonly validityDays?: number
}

export const KIT_AGENCY = 'kit-a'
export const KIT_SECOND_AGENCY = 'kit-b'
const DAY = 86_400_000

async function writeKey(file: string, pem: string): Promise<void> {
  await writeFile(file, pem, { mode: 0o600 })
  await chmod(file, 0o600)
}

async function writePair(dir: string, name: string, issued: Issued): Promise<void> {
  await writeKey(join(dir, `${name}.key.pem`), issued.keyPem)
  await writeFile(join(dir, `${name}.chain.pem`), issued.chainPem)
}

/** Writes the federation under `out`; returns the target agency id and the files a caller needs. */
export async function makeFederation(out: string, opts: MakeFederationOptions): Promise<{ targetAgency: string; targetConfig: string; credentials: string; directory: string }> {
  const targetAgency = opts.targetAgency ?? 'target'
  const target = new URL(opts.targetUrl)
  if (target.protocol !== 'https:') throw new Error(`--target ${opts.targetUrl}: a federation URL is https:// (PROTOCOL.md §1.4)`)
  const kitUrl = opts.kitUrl ?? 'https://127.0.0.1:18999'
  const validityDays = opts.validityDays ?? 30
  const fed = await createFederation({
    agencies: [
      ...(opts.hostingNode ? [{ id: `${targetAgency}-2`, nameTh: 'หน่วยงานที่ทดสอบ ๒', nameEn: 'Implementation under test, second hosted agency', keyType: opts.targetKeyType ?? 'ec', federationUrl: target.origin, profiles: [...(opts.profiles ?? ['jose-v1', 'cms-v1', 'jose-v2'])] }] : []),
      { id: targetAgency, nameTh: 'หน่วยงานที่ทดสอบ', nameEn: 'Implementation under test', keyType: opts.targetKeyType ?? 'ec', federationUrl: target.origin, profiles: [...(opts.profiles ?? ['jose-v1', 'cms-v1', 'jose-v2'])] },
      { id: KIT_AGENCY, nameTh: 'ชุดทดสอบความสอดคล้อง ก', nameEn: 'Conformance kit A', keyType: 'rsa', federationUrl: kitUrl, profiles: [...(opts.kitProfiles ?? ['jose-v1', 'cms-v1', 'jose-v2'])] },
      { id: KIT_SECOND_AGENCY, nameTh: 'ชุดทดสอบความสอดคล้อง ข', nameEn: 'Conformance kit B', keyType: 'ec', federationUrl: kitUrl.replace(/:(\d+)$/, (_m, p: string) => `:${Number(p) + 1}`) },
    ],
    validityDays,
    rootCommonName: 'Saraban CONFORMANCE Root CA - DO NOT TRUST',
  })
  const ca = fed.intermediate
  const now = Date.now()
  const subject = (id: string, what: string) => ({ commonName: `${id} (${what}, conformance kit)`, agencyId: id })
  const expired = { notBefore: new Date(now - 2 * DAY), notAfter: new Date(now - DAY) }
  // A target host other than 127.0.0.1/localhost needs its name in the TLS certificate (PROTOCOL.md §3.1).
  const host = target.hostname.replace(/^\[|\]$/g, '')
  let targetTls = fed.agencies[targetAgency]!.tls
  if (host !== '127.0.0.1' && host !== 'localhost') {
    targetTls = await issueCertificate(ca, { role: 'tls', keyType: opts.targetKeyType ?? 'ec', subject: subject(targetAgency, 'tls'), san: isIP(host) ? { ip: [host] } : { dns: [host] } })
  }
  const foreign = await createFederation({
    agencies: [{ id: KIT_AGENCY, nameTh: 'ภายนอก', nameEn: 'Foreign', keyType: 'ec', federationUrl: kitUrl }],
    validityDays, rootCommonName: 'Foreign CONFORMANCE Root CA',
  })
  const extra = {
    'expired-tls': await issueCertificate(ca, { role: 'tls', keyType: 'ec', subject: subject(KIT_AGENCY, 'expired tls'), ...expired }),
    'revoked-tls': await issueCertificate(ca, { role: 'tls', keyType: 'ec', subject: subject(KIT_AGENCY, 'revoked tls') }),
    'expired-signing': await issueCertificate(ca, { role: 'signing', keyType: 'ec', subject: subject(KIT_AGENCY, 'expired signing'), ...expired }),
    'revoked-signing': await issueCertificate(ca, { role: 'signing', keyType: 'ec', subject: subject(KIT_AGENCY, 'revoked signing') }),
    'foreign-tls': foreign.agencies[KIT_AGENCY]!.tls,
  }
  // The expired and revoked certificates are listed for the kit's agency, so that the only reason to
  // refuse them is their validity (PROTOCOL.md §3.2 step 2, §4.2 check 13).
  const directory: DirectoryDocument = structuredClone(fed.directory)
  const hosted = opts.hostingNode ? [targetAgency, `${targetAgency}-2`] : []
  if (opts.hostingNode) {
    // §16.1: the node's entry holds the endpoint and the TLS certificate; its agencies carry neither.
    directory.nodes = [{ id: `${targetAgency}-node`, endpoints: [target.origin], certificates: { tls: [toBase64Der(targetTls.cert)] }, agencies: hosted }]
  }
  for (const a of directory.agencies) {
    if (hosted.includes(a.id)) Object.assign(a, { endpoints: [], node: `${targetAgency}-node`, certificates: { ...a.certificates, tls: [] } })
    else if (a.id === targetAgency) a.certificates.tls = [toBase64Der(targetTls.cert)]
    if (a.id === KIT_AGENCY) {
      a.certificates.tls.push(toBase64Der(extra['expired-tls'].cert), toBase64Der(extra['revoked-tls'].cert))
      a.certificates.signing.push(toBase64Der(extra['expired-signing'].cert), toBase64Der(extra['revoked-signing'].cert))
    }
  }
  const directoryJws = await signDirectory(directory, fed.directoryIssuer)
  const crls = await federationCrls(fed, {
    revoked: [{ cert: extra['revoked-tls'].cert, reason: 'keyCompromise' }, { cert: extra['revoked-signing'].cert, reason: 'keyCompromise' }],
    number: 1, now: new Date(now - 60_000), validityDays,
  })

  await mkdir(join(out, 'crl'), { recursive: true })
  await writeFile(join(out, 'root.crt.pem'), fed.root.certPem)
  await writeFile(join(out, 'directory.jws'), directoryJws + '\n')
  await writeFile(join(out, 'directory.json'), JSON.stringify(directory, null, 2) + '\n')
  await writeFile(join(out, 'crl', 'root.crl'), crls.root)
  await writeFile(join(out, 'crl', 'issuing-ca.crl'), crls.intermediate)

  // The target: its keys, and a node.json for saraban-node (another implementation reads the same files).
  const tdir = join(out, 'target')
  await mkdir(tdir, { recursive: true })
  const t = fed.agencies[targetAgency]!
  await writePair(tdir, 'tls', targetTls)
  await writePair(tdir, 'signing', t.signing)
  await writePair(tdir, 'encryption', t.encryption)
  for (const id of hosted.slice(1)) {
    await mkdir(join(tdir, id), { recursive: true })
    await writePair(join(tdir, id), 'signing', fed.agencies[id]!.signing)
    await writePair(join(tdir, id), 'encryption', fed.agencies[id]!.encryption)
  }
  const targetConfig = join(tdir, 'node.json')
  await writeFile(targetConfig, JSON.stringify({
    dataDir: './data',
    tls: { key: 'tls.key.pem', cert: 'tls.chain.pem' },
    trust: { anchors: ['../root.crt.pem'], directory: '../directory.jws', crls: ['../crl/root.crl', '../crl/issuing-ca.crl'], revocation: 'hard' },
    agencies: [
      { id: targetAgency, signing: { key: 'signing.key.pem', cert: 'signing.chain.pem' }, encryption: { key: 'encryption.key.pem', cert: 'encryption.chain.pem' } },
      ...hosted.slice(1).map((id) => ({ id, signing: { key: `${id}/signing.key.pem`, cert: `${id}/signing.chain.pem` }, encryption: { key: `${id}/encryption.key.pem`, cert: `${id}/encryption.chain.pem` } })),
    ],
    federation: { host: host === 'localhost' ? '127.0.0.1' : host, port: Number(target.port || 443) },
    api: { host: '127.0.0.1', port: 0, keys: [{ name: 'conformance', sha256: createHash('sha256').update('conformance-key').digest('hex'), agencies: [targetAgency] }] },
    log: { level: 'warn' },
  }, null, 2) + '\n')

  // The kit's credentials (the folder `--credentials` names).
  const kdir = join(out, 'kit')
  await mkdir(join(kdir, 'second'), { recursive: true })
  await mkdir(join(kdir, 'extra'), { recursive: true })
  const k = fed.agencies[KIT_AGENCY]!
  const k2 = fed.agencies[KIT_SECOND_AGENCY]!
  for (const role of ['tls', 'signing', 'encryption'] as const) {
    await writePair(kdir, role, k[role])
    await writePair(join(kdir, 'second'), role, k2[role])
  }
  for (const [name, issued] of Object.entries(extra)) await writePair(join(kdir, 'extra'), name, issued)
  await writeFile(join(kdir, 'root.crt.pem'), fed.root.certPem)
  await writeFile(join(kdir, 'directory.jws'), directoryJws + '\n')
  const kitFile: KitFile = { agency: KIT_AGENCY, second: KIT_SECOND_AGENCY, target: targetAgency }
  await writeFile(join(kdir, KIT_FILE), JSON.stringify(kitFile, null, 2) + '\n')
  await writeFile(join(out, 'README.md'), federationReadme(targetAgency, target.origin))
  return { targetAgency, targetConfig, credentials: kdir, directory: join(out, 'directory.jws') }
}

function federationReadme(targetAgency: string, origin: string): string {
  return `# A throwaway conformance federation. TEST ONLY: every private key here is in clear.

Written by \`saraban-node conformance --make-federation\` (src/conformance/federation.ts).

| file | what |
|---|---|
| root.crt.pem | the federation root: the only trust anchor (PROTOCOL.md §1.2) |
| directory.jws, directory.json | the signed directory and its payload (§1.4): \`${targetAgency}\` at ${origin}, and the kit's agencies \`${KIT_AGENCY}\` and \`${KIT_SECOND_AGENCY}\` |
| crl/root.crl, crl/issuing-ca.crl | both CAs' CRLs (DER, §15.1); they revoke one TLS and one signing certificate of \`${KIT_AGENCY}\` |
| target/{tls,signing,encryption}.{key,chain}.pem | the keys of the implementation under test (\`${targetAgency}\`) |
| target/node.json | the same as a saraban-node configuration: \`saraban-node start --config target/node.json\` |
| target/${targetAgency}-2/ | with --hosting-node only: the signing and encryption keys of the second agency the node hosts (the TLS identity is the node's, under \`nodes\`) |
| kit/ | the kit's credentials (\`--credentials kit\`): its agency's keys, \`second/\` (\`${KIT_SECOND_AGENCY}\`), \`extra/\` (a foreign CA's, an expired and a revoked certificate) |

Configure the implementation under test with root.crt.pem as its only trust anchor, directory.jws,
the two CRLs and the target/ keys, listening at ${origin}; then run
\`saraban-node conformance --target ${origin} --agency ${targetAgency} --credentials kit\`.
`
}
