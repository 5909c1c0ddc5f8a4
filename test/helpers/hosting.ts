// Hosting nodes for integration tests (PROTOCOL.md §16): a throwaway federation with EC keys (cheap
// to make by the hundred), nodes that each host agencies from a hosting.agenciesDir folder, one
// directory file per node (so a test can give two nodes different views), real mTLS on loopback.
import { mkdtempSync, mkdirSync, renameSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { loadConfig } from '../../src/config/index.js'
import { createContext, type AppContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import { signDirectory, type DirectoryAgency, type DirectoryDocument } from '../../src/pki/directory.js'
import { createRootCa, federationCrls, issueCertificate, type FederationCrls, type Issued } from '../../src/pki/dev-ca.js'
import { toBase64Der } from '../../src/pki/cert.js'
import { freePort, type ApiAnswer } from './nodes.js'
import { fastIssuer } from './fast-issue.js'

const DAY = 86_400_000

export interface NodeSpec {
  /** Node id in the directory (mode 'node') or a label (mode 'agency'). */
  readonly id: string
  readonly agencies: readonly string[]
  /** 'node': the TLS certificate is the node's, listed under directory `nodes`; 'agency': it is the
   *  (single) agency's own, listed in its entry (the one-agency node of PROTOCOL.md §1.3). */
  readonly mode: 'node' | 'agency'
  /** Agencies the directory lists under this node that it does not host at start (a test adds them). */
  readonly later?: readonly string[]
}

export interface AgencyKeys {
  signing: Issued[]
  encryption: Issued[]
}

export interface Pki {
  readonly root: Issued
  readonly ca: Issued
  readonly directorySigner: Issued
  /** Both CAs' CRLs (nothing revoked), so that nodes run under the default hard-fail check (§15). */
  readonly crls: FederationCrls
  issue(role: 'tls' | 'signing' | 'encryption', agencyId: string, validity?: { notBefore: Date; notAfter: Date }): Promise<Issued>
}

export async function testPki(): Promise<Pki> {
  const now = Date.now()
  // Beyond expiry.certificateDays (issue 17 item 4): /healthz says ok unless a test makes a certificate expire sooner.
  const validity = { notBefore: new Date(now - 3600_000), notAfter: new Date(now + 400 * DAY) }
  const root = await createRootCa({ subject: { commonName: 'Saraban HOSTING TEST Root' }, keyType: 'ec-p256', ...validity })
  const ca = await issueCertificate(root, { role: 'ca', keyType: 'ec-p256', pathLength: 0, subject: { commonName: 'Saraban HOSTING TEST CA' }, ...validity })
  const directorySigner = await issueCertificate(ca, { role: 'directory', keyType: 'ec', subject: { commonName: 'Directory' }, ...validity })
  const fast = fastIssuer(ca)
  const crls = await federationCrls({ root, intermediate: ca }, { validityDays: 30 })
  return { root, ca, directorySigner, crls, issue: (role, agencyId, v = validity) => fast(role, `${agencyId} ${role}`, v) }
}

export interface HostingNode {
  readonly spec: NodeSpec
  readonly dir: string
  readonly agenciesDir: string
  readonly port: number
  readonly url: string
  readonly tls: Issued
  ctx?: AppContext
  apiUrl?: string
  start(): Promise<void>
  stop(): Promise<void>
  /** Writes (or rewrites) the agency file and key files of `id` in this node's agenciesDir. */
  writeAgency(id: string, keys?: AgencyKeys): void
  removeAgency(id: string): void
  /** Writes a directory file for this node (used at start) and installs it if running. */
  useDirectory(jws: string): Promise<void>
  call(agency: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>
}

export interface HostingNet {
  readonly pki: Pki
  readonly dir: string
  readonly keys: Record<string, AgencyKeys>
  readonly agencyTls: Record<string, Issued>
  readonly nodes: Record<string, HostingNode>
  /** The directory document as built (serial 1); edit a copy and sign() it to change the federation. */
  readonly directory: DirectoryDocument
  sign(doc: DirectoryDocument): Promise<string>
  stop(): Promise<void>
}

export const apiKeyOf = (agency: string) => `key-${agency}`
const sha = (s: string) => createHash('sha256').update(s).digest('hex')

export async function hostingNet(
  specs: readonly NodeSpec[],
  /** profiles: what every agency's directory entry accepts (default ['jose-v1']). */
  opts: { logLevel?: string; delivery?: Record<string, number>; profiles?: readonly string[] } = {},
): Promise<HostingNet> {
  const pki = await testPki()
  const dir = mkdtempSync(join(tmpdir(), 'saraban-hosting-'))
  writeFileSync(join(dir, 'root.crt.pem'), pki.root.certPem)
  writeFileSync(join(dir, 'root.crl'), pki.crls.root)
  writeFileSync(join(dir, 'issuing-ca.crl'), pki.crls.intermediate)
  const keys: Record<string, AgencyKeys> = {}
  const agencyTls: Record<string, Issued> = {}
  const listed = (s: NodeSpec) => [...s.agencies, ...(s.later ?? [])]
  const allAgencies = specs.flatMap(listed)
  await Promise.all(allAgencies.map(async (id) => {
    const [signing, encryption] = await Promise.all([pki.issue('signing', id), pki.issue('encryption', id)])
    keys[id] = { signing: [signing], encryption: [encryption] }
  }))
  const ports = await Promise.all(specs.map(() => freePort()))
  const tlsOf = await Promise.all(specs.map((s) => pki.issue('tls', s.mode === 'agency' ? s.agencies[0]! : s.id)))
  specs.forEach((s, i) => { if (s.mode === 'agency') agencyTls[s.agencies[0]!] = tlsOf[i]! })

  const entry = (id: string, spec: NodeSpec, url: string): DirectoryAgency => ({
    id, nameTh: `หน่วยงาน ${id}`, nameEn: `Agency ${id}`,
    endpoints: [url],
    certificates: {
      tls: spec.mode === 'agency' && agencyTls[id] ? [toBase64Der(agencyTls[id].cert)] : [],
      signing: keys[id]!.signing.map((c) => toBase64Der(c.cert)),
      encryption: keys[id]!.encryption.map((c) => toBase64Der(c.cert)),
    },
    profiles: [...(opts.profiles ?? ['jose-v1'])],
    status: 'active',
    ...(spec.mode === 'node' ? { node: spec.id } : {}),
  })
  const urlOf = (i: number) => `https://127.0.0.1:${ports[i]}`
  const directory: DirectoryDocument = {
    version: 1, serial: 1, issuedAt: new Date().toISOString(), nextUpdate: new Date(Date.now() + 7 * DAY).toISOString(),
    agencies: specs.flatMap((s, i) => listed(s).map((id) => entry(id, s, urlOf(i)))),
    nodes: specs.flatMap((s, i) => (s.mode === 'node' ? [{ id: s.id, endpoints: [urlOf(i)], certificates: { tls: [toBase64Der(tlsOf[i]!.cert)] }, agencies: listed(s) }] : [])),
    intermediates: [toBase64Der(pki.ca.cert)],
  }
  const sign = (doc: DirectoryDocument) => signDirectory(doc, { key: pki.directorySigner.key, chain: pki.directorySigner.chain })
  const firstJws = await sign(directory)

  const nodes: Record<string, HostingNode> = {}
  specs.forEach((spec, i) => {
    const ndir = join(dir, spec.id)
    const agenciesDir = join(ndir, 'agencies.d')
    mkdirSync(join(ndir, 'keys'), { recursive: true })
    mkdirSync(agenciesDir, { recursive: true })
    writeFileSync(join(ndir, 'tls.key.pem'), tlsOf[i]!.keyPem, { mode: 0o600 })
    writeFileSync(join(ndir, 'tls.chain.pem'), tlsOf[i]!.chainPem)
    writeFileSync(join(ndir, 'directory.jws'), firstJws)
    const configFile = join(ndir, 'node.json')
    writeFileSync(configFile, JSON.stringify({
      dataDir: './data',
      tls: { key: 'tls.key.pem', cert: 'tls.chain.pem' },
      trust: { anchors: ['../root.crt.pem'], directory: 'directory.jws', crls: ['../root.crl', '../issuing-ca.crl'] },
      agencies: [],
      hosting: { agenciesDir: 'agencies.d', rescanSeconds: 3600 },
      federation: { host: '127.0.0.1', port: ports[i] },
      api: { host: '127.0.0.1', port: 0, keys: [] },
      delivery: { initialBackoffMs: 50, maxBackoffMs: 400, probeInitialBackoffMs: 50, probeMaxBackoffMs: 400, ...opts.delivery },
      log: { level: opts.logLevel ?? 'silent' },
      notifications: { webhookDelivery: { allowPrivateTargets: true } }, // test receivers listen on 127.0.0.1
    }, null, 2))
    const node: HostingNode = {
      spec, dir: ndir, agenciesDir, port: ports[i]!, url: urlOf(i), tls: tlsOf[i]!,
      async start() {
        if (node.ctx) return
        const config = loadConfig({ file: configFile, env: {}, packageRoot: process.cwd() })
        const ctx = await createContext(config, opts.logLevel ? {} : { log: createLogger('silent') })
        node.apiUrl = (await ctx.listen()).apiUrl
        node.ctx = ctx
      },
      async stop() {
        const ctx = node.ctx
        node.ctx = undefined
        if (ctx) await ctx.close()
      },
      writeAgency(id, k = keys[id]!) {
        const kdir = join(ndir, 'keys', id)
        mkdirSync(kdir, { recursive: true })
        const pairs = (role: 'signing' | 'encryption') => k[role].map((issued, n) => {
          writeFileSync(join(kdir, `${role}-${n}.key.pem`), issued.keyPem, { mode: 0o600 })
          writeFileSync(join(kdir, `${role}-${n}.chain.pem`), issued.chainPem)
          return { key: `../keys/${id}/${role}-${n}.key.pem`, cert: `../keys/${id}/${role}-${n}.chain.pem` }
        })
        const body = { id, signing: pairs('signing'), encryption: pairs('encryption'), apiKeys: [{ name: `${id}-app`, sha256: sha(apiKeyOf(id)) }] }
        // Write then rename, as an operator's tooling should: a rescan never sees half a file.
        writeFileSync(join(agenciesDir, `.${id}.tmp`), JSON.stringify(body, null, 2))
        renameSync(join(agenciesDir, `.${id}.tmp`), join(agenciesDir, `${id}.json`))
      },
      removeAgency(id) {
        rmSync(join(agenciesDir, `${id}.json`), { force: true })
      },
      async useDirectory(jws) {
        writeFileSync(join(ndir, 'directory.jws'), jws)
        if (!node.ctx) return
        const r = await node.ctx.directorySource.refresh()
        if (r.outcome !== 'updated') throw new Error(`directory not installed: ${r.outcome} ${r.code ?? ''} ${r.reason ?? ''}`)
      },
      async call(agency, method, path, body, headers = {}) {
        const res = await fetch(node.apiUrl + path, {
          method,
          headers: { authorization: `Bearer ${apiKeyOf(agency)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
        const ct = res.headers.get('content-type') ?? ''
        return { status: res.status, headers: res.headers, body: ct.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer()) }
      },
    }
    for (const id of spec.agencies) node.writeAgency(id)
    nodes[spec.id] = node
  })
  return {
    pki, dir, keys, agencyTls, nodes, directory, sign,
    async stop() {
      for (const n of Object.values(nodes)) await n.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
