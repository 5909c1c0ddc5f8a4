// `saraban-node dev-certs`: writes certs-dev/, a complete three-agency DEV federation for people and
// the demo (tests make their own: test/helpers/federation.ts). DEV ONLY: the private keys are in clear.
import { createHash, randomBytes } from 'node:crypto'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createFederation } from '../pki/dev-ca.js'
import type { AgencySpec, FederationMaterial, OfficerMaterial, OfficerSpec } from '../pki/dev-ca.js'
import { writeDevCa } from './dev-ca-store.js'
import { issueTsaCertificate } from '../tsa/dev.js'
import { devPorts, portsEnv, type DevAgencyId, type DevPorts } from './dev-ports.js'

interface DevAgency extends AgencySpec { id: DevAgencyId; federationPort: number; apiPort: number; ownerCode: string }

/** Two classified-information officers per dev agency (PROTOCOL.md §19.1): an RSA registrar and an EC
 *  P-256 deputy, so the dev federation exercises both recipient-info kinds of the inner envelope. */
export function devOfficers(a: Pick<AgencySpec, 'nameEn'>): OfficerSpec[] {
  return [
    { id: 'registrar', role: 'registrar', nameTh: 'นางสาวสมใจ ใจดี', nameEn: `Ms Somjai Jaidee (${a.nameEn}, DEV)`, positionTh: 'นายทะเบียนข้อมูลข่าวสารลับ', positionEn: 'Classified-information registrar', keyType: 'rsa' },
    { id: 'deputy', role: 'deputy', nameTh: 'นายสมชาย รักษ์ความลับ', nameEn: `Mr Somchai Raksa (${a.nameEn}, DEV)`, positionTh: 'ผู้ช่วยนายทะเบียนข้อมูลข่าวสารลับ', positionEn: 'Deputy classified-information registrar', keyType: 'ec' },
  ]
}

// e-CMS codes below are MADE-UP PLACEHOLDERS (ministry '00' does not exist), not the real codes.
const DEV_AGENCY_SPECS: readonly Omit<DevAgency, 'federationUrl' | 'federationPort' | 'apiPort'>[] = [
  { id: 'moi', nameTh: 'กระทรวงมหาดไทย', nameEn: 'Ministry of Interior', keyType: 'rsa', ecms: { ministry: '00', department: '00001' }, ownerCode: 'มท 0201.2' },
  { id: 'mof', nameTh: 'กระทรวงการคลัง', nameEn: 'Ministry of Finance', keyType: 'ec', ecms: { ministry: '00', department: '00002' }, ownerCode: 'กค 0401',
    profiles: ['jose-v2', 'jose-v1'] }, // jose-v2: a letter to many is signed once and encrypted once (PROTOCOL.md §17)
  { id: 'dga', nameTh: 'สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)', nameEn: 'Digital Government Development Agency', keyType: 'ec', ecms: { ministry: '00', department: '00003' }, ownerCode: 'สพร',
    profiles: ['cms-v1', 'jose-v1'] }, // the demo sends one letter per envelope profile
]

/** The three dev agencies on the ports of a layout (src/cli/dev-ports.ts): the signed directory's
 *  endpoints and each node.json's listeners come from the same numbers (issue 21 §3). */
export function devAgencies(ports: DevPorts = devPorts()): DevAgency[] {
  return DEV_AGENCY_SPECS.map((a) => {
    const { federation, api } = ports.agencies[a.id]
    return { ...a, federationUrl: `https://127.0.0.1:${federation}`, federationPort: federation, apiPort: api }
  })
}

const VALIDITY_DAYS = 20 * 365

/** The node config of one dev agency, in the shape of schemas/config.json (paths relative to the file).
 *  `data` is the data folder relative to the federation folder: certs-dev/ in the package uses the
 *  package's data/ (../data → data/<id>, what `npm start` uses too); a federation written elsewhere
 *  (--out) keeps its data inside itself, so that two of them never share a database. */
export function devNodeConfig(a: DevAgency, data = '../data'): Record<string, unknown> {
  return {
    dataDir: `../${data}/${a.id}`,
    tls: { key: 'tls.key.pem', cert: 'tls.chain.pem' },
    trust: { anchors: ['../root.crt.pem'], directory: '../directory.jws', crls: ['../crl/root.crl', '../crl/issuing-ca.crl'], revocation: 'hard' },
    agencies: [{
      id: a.id,
      ownerCode: a.ownerCode, // the ที่ prefix of its outgoing letter numbers (README "Registers"); the codes are examples
      signing: { key: 'signing.key.pem', cert: 'signing.chain.pem' },
      encryption: { key: 'encryption.key.pem', cert: 'encryption.chain.pem' },
    }],
    federation: { host: '127.0.0.1', port: a.federationPort },
    api: {
      host: '127.0.0.1', port: a.apiPort,
      keys: [{ name: 'dev', sha256: createHash('sha256').update(`dev-${a.id}-key`).digest('hex'), agencies: [a.id] }],
    },
    delivery: { giveUpAfter: '3d', initialBackoffMs: 1000, maxBackoffMs: 600000, concurrencyPerPeer: 16, requestTimeoutMs: 60000 },
    limits: { maxEnvelopeBytes: 157286400, maxApiBodyBytes: 157286400 },
    log: { level: 'info' },
  }
}

async function writeKey(file: string, pem: string): Promise<void> {
  await writeFile(file, pem, { mode: 0o600 })
  await chmod(file, 0o600) // mode above applies only when the file is created
}

/** Generates a fresh dev federation and writes it under outDir (overwriting). */
export async function writeDevCerts(outDir: string, ports: DevPorts = devPorts(), data = '../data'): Promise<FederationMaterial> {
  const agencies = devAgencies(ports)
  const fed = await createFederation({
    agencies: agencies.map(({ federationPort: _f, apiPort: _a, ownerCode: _o, ...spec }) => ({ ...spec, officers: devOfficers(spec) })),
    validityDays: VALIDITY_DAYS,
    rootCommonName: 'Saraban Federation DEV Root CA - DO NOT TRUST',
    rootKeyType: 'rsa-4096', // like the Thailand National Root CA G1/G3 (domain.md §PKI)
    intermediateKeyType: 'rsa-3072',
  })
  await mkdir(outDir, { recursive: true })
  await writeFile(join(outDir, 'README.md'), devCertsReadme(ports))
  await writeFile(join(outDir, 'ports.env'), portsEnv(ports))
  await writeFile(join(outDir, 'root.crt.pem'), fed.root.certPem)
  await writeFile(join(outDir, 'directory.jws'), fed.directoryJws + '\n')
  await writeFile(join(outDir, 'directory.json'), JSON.stringify(fed.directory, null, 2) + '\n')
  // The CA stays usable for `saraban-node ca issue|revoke|crl`; its CRLs are published in crl/.
  await writeDevCa(outDir, fed, { crlValidityDays: VALIDITY_DAYS, certValidityDays: 365 })
  // The dev time-stamping authority (`saraban-node tsa`, the demo): PROTOCOL.md §13.
  const now = Date.now()
  const tsa = await issueTsaCertificate(fed.intermediate, { notBefore: new Date(now - 3600_000), notAfter: new Date(now + VALIDITY_DAYS * 86_400_000) })
  await mkdir(join(outDir, 'tsa'), { recursive: true })
  await writeKey(join(outDir, 'tsa', 'tsa.key.pem'), tsa.keyPem)
  await writeFile(join(outDir, 'tsa', 'tsa.chain.pem'), tsa.chainPem)
  for (const a of agencies) {
    const dir = join(outDir, a.id)
    const m = fed.agencies[a.id]!
    await mkdir(dir, { recursive: true })
    for (const role of ['tls', 'signing', 'encryption'] as const) {
      await writeKey(join(dir, `${role}.key.pem`), m[role].keyPem)
      await writeFile(join(dir, `${role}.chain.pem`), m[role].chainPem)
    }
    await writeFile(join(dir, 'node.json'), JSON.stringify(devNodeConfig(a, data), null, 2) + '\n')
    for (const o of Object.values(m.officers)) await writeOfficerFiles(join(dir, 'officers', o.spec.id), o)
  }
  return fed
}

/** An officer's files (classified-design §1): encrypted PKCS#8 keys, certificate chains, the passphrase
 *  (0600). DEV ONLY: a real officer's keys are made on the officer's workstation (`init --officer`). */
export async function writeOfficerFiles(dir: string, o: OfficerMaterial): Promise<void> {
  await mkdir(dir, { recursive: true })
  const passphrase = randomBytes(18).toString('base64url')
  await writeKey(join(dir, 'passphrase'), passphrase + '\n')
  for (const [name, issued] of [['signing', o.signing], ['encryption', o.encryption]] as const) {
    await writeKey(join(dir, `${name}.key.pem`), issued.key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string)
    await writeFile(join(dir, `${name}.cert.pem`), issued.chainPem)
  }
}

/** certs-dev/README.md, with the ports of the layout it was written with. */
export function devCertsReadme(ports: DevPorts): string {
  const row = (a: DevAgency, name: string, keys: string) => `| ${a.id} | ${name} | ${keys} | ${a.federationUrl} | http://127.0.0.1:${a.apiPort} | dev-${a.id}-key |`
  const [moi, mof, dga] = devAgencies(ports) as [DevAgency, DevAgency, DevAgency]
  return `# certs-dev — DEV ONLY. NEVER DEPLOY. NEVER TRUST THIS ROOT.

> **DANGER:** every private key in this folder is published in a public repository.
> Anyone can impersonate these agencies with them. Use them only on 127.0.0.1 for development
> and the demo. A real federation uses keys generated by each agency and certificates from the
> federation's real CA (PROTOCOL.md §1.2).

Generated by \`saraban-node dev-certs\` (src/cli/dev-certs.ts → src/pki/dev-ca.ts). Regenerate at any
time; all files are replaced together.

| file | what |
|---|---|
| root.crt.pem | DEV root CA (RSA 4096), the only trust anchor of the dev nodes |
| directory.jws | the signed federation directory (compact JWS, typ saraban-directory+jws, x5c) |
| directory.json | the same directory, unsigned and pretty-printed: the input of \`directory sign\` |
| crl/root.crl, crl/issuing-ca.crl | the CRLs (DER) of the root and the issuing CA, listed in each node's \`trust.crls\` |
| ca/root.key.pem, ca/issuing-ca.{key,crt}.pem | the DEV CA keys, for \`saraban-node ca issue\|revoke\|crl\` |
| tsa/tsa.{key,chain}.pem | the DEV time-stamping authority (EKU timeStamping), for \`saraban-node tsa\` and the demo |
| ca/directory.{key,chain}.pem | the DEV directory signer, for \`saraban-node directory sign\` |
| ca/state.json | the CA's cRLNumber and the certificates it revoked |
| <agency>/tls.{key,chain}.pem | mutual-TLS key and certificate chain (leaf + issuing CA) |
| <agency>/signing.{key,chain}.pem | letter and receipt signing key and chain |
| <agency>/encryption.{key,chain}.pem | envelope decryption key and chain |
| <agency>/node.json | node config; \`saraban-node start --config certs-dev/<agency>/node.json\` |
| ports.env | the ports below as shell assignments (\`. certs-dev/ports.env\`), read by \`saraban-node demo\` |
| <agency>/officers/{registrar,deputy}/ | classified-information officers (PROTOCOL.md §19.1): {signing,encryption}.key.pem (encrypted PKCS#8), {signing,encryption}.cert.pem (certificate + issuing CA), passphrase; registrar RSA 2048, deputy EC P-256 |

| agency | name | keys | federation | API | dev API key |
|---|---|---|---|---|---|
${row(moi, 'กระทรวงมหาดไทย / Ministry of Interior', 'RSA 2048')}
${row(mof, 'กระทรวงการคลัง / Ministry of Finance', 'EC P-256')}
${row(dga, 'สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน) / Digital Government Development Agency', 'EC P-256')}

${ports.base === null ? 'These are the default ports.' : 'Written with `--base-port ' + ports.base + '`.'} The signed directory.jws names the federation endpoints above, and
peers connect where the directory says, whatever a node listens on: to move the federation, regenerate
it with \`saraban-node dev-certs --base-port N\` (every listener of the dev configs and the demo then
follows N: README "Ports of the dev federation").

The e-CMS codes in the directory (ministry 00, departments 00001-00003) are made-up placeholders.
node.json stores only the SHA-256 of each dev API key. Certificates are valid for 20 years; so are the
published CRLs (a real CA publishes CRLs valid for days). \`saraban-node ca revoke --cert FILE\` revokes a
certificate and republishes both CRLs in this folder's crl/; running nodes fetch them again with the directory,
within \`trust.refreshSeconds\` (default 3600), or at once after a restart.
The directory signer's extended key usage OID (src/pki/oids.ts) is a placeholder arc.

Check a chain: \`openssl verify -CAfile certs-dev/root.crt.pem -untrusted certs-dev/moi/tls.chain.pem certs-dev/moi/tls.chain.pem\`
With the CRLs (DER; \`openssl crl\` converts one file at a time):
\`openssl verify -crl_check_all -CRLfile <(openssl crl -inform DER -in certs-dev/crl/root.crl) -CRLfile <(openssl crl -inform DER -in certs-dev/crl/issuing-ca.crl) -CAfile certs-dev/root.crt.pem -untrusted certs-dev/moi/tls.chain.pem certs-dev/moi/tls.chain.pem\`
`
}
