// Real nodes over real mTLS on loopback, for integration tests: a throwaway federation, key files
// on disk, node.json files loaded through the real config loader, SQLite files in a temp dir.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { Client } from 'undici'
import { loadConfig } from '../../src/config/index.js'
import { createContext, type AppContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import type { Clock } from '../../src/clock.js'
import { signDirectory, type DirectoryDocument } from '../../src/pki/directory.js'
import type { FederationCrls, FederationMaterial } from '../../src/pki/dev-ca.js'
import { testFederation } from './federation.js'

import { freePort } from '../../src/cli/free-port.js'
export { freePort }

export interface TestNode {
  readonly id: string
  readonly apiKey: string
  readonly configFile: string
  readonly federationPort: number
  ctx?: AppContext
  apiUrl?: string
  start(): Promise<void>
  stop(): Promise<void>
}

export interface TestNet {
  readonly fed: FederationMaterial
  readonly dir: string
  readonly nodes: Record<string, TestNode>
  readonly directory: DirectoryDocument
  stop(): Promise<void>
}

export interface NetOptions {
  readonly delivery?: Record<string, number | string>
  /** The nodes' clock (ContextOverrides.clock), e.g. one a test moves forward. */
  readonly clock?: Clock
  readonly log?: boolean
  /** Change the signed directory (e.g. suspend an agency) before it is signed. */
  readonly editDirectory?: (doc: DirectoryDocument) => DirectoryDocument
  /** The envelope profiles every agency accepts (directory `profiles`), e.g. ['cms-v1']: the same suite runs once per profile. */
  readonly profiles?: readonly string[]
  /** CRLs to publish instead of the federation's empty ones (PROTOCOL.md §15; e.g. federationCrls(fed, { revoked })) */
  readonly crls?: FederationCrls
  /** merged into each node.json `trust` (e.g. { revocation: 'soft' }) */
  readonly trust?: Record<string, unknown>
  /** top-level members merged into each node.json (e.g. a `tsa` section) */
  readonly extra?: Record<string, unknown>
  /** top-level members merged into one agency's node.json, after `extra` (e.g. its `ecms` clients) */
  readonly extraFor?: (agency: string) => Record<string, unknown>
  /** members merged into a node's `federation` and `api` sections (e.g. connection timeouts), by agency */
  readonly listeners?: (agency: string) => { federation?: Record<string, unknown>; api?: Record<string, unknown> }
  /** Another throwaway federation than the shared one (e.g. with classified-information officers). */
  readonly fed?: FederationMaterial
}

export interface NetFiles {
  readonly fed: FederationMaterial
  readonly dir: string
  readonly directory: DirectoryDocument
  readonly agencies: Record<string, { configFile: string; apiKey: string; federationPort: number }>
}

/** Write a throwaway federation to disk: root, signed directory with real ports, keys and node.json per agency. */
export async function writeNetFiles(agencies: readonly string[], opts: NetOptions & { apiPorts?: Record<string, number>; logLevel?: string } = {}): Promise<NetFiles> {
  const fed = opts.fed ?? await testFederation()
  const dir = mkdtempSync(join(tmpdir(), 'saraban-it-'))
  const ports: Record<string, number> = {}
  for (const id of Object.keys(fed.agencies)) ports[id] = await freePort()
  const withPorts: DirectoryDocument = {
    ...fed.directory,
    agencies: fed.directory.agencies.map((a) => ({ ...a, endpoints: [`https://127.0.0.1:${ports[a.id]}`], ...(opts.profiles ? { profiles: [...opts.profiles] } : {}) })),
  }
  const directory = opts.editDirectory ? opts.editDirectory(withPorts) : withPorts
  const directoryJws = await signDirectory(directory, { key: fed.directoryIssuer.key, chain: fed.directoryIssuer.chain })
  writeFileSync(join(dir, 'root.crt.pem'), fed.root.certPem)
  writeFileSync(join(dir, 'directory.jws'), directoryJws)
  // Both CAs' CRLs, so that nodes run under the default hard-fail revocation check (PROTOCOL.md §15.2).
  writeFileSync(join(dir, 'root.crl'), (opts.crls ?? fed.crls).root)
  writeFileSync(join(dir, 'issuing-ca.crl'), (opts.crls ?? fed.crls).intermediate)
  const out: NetFiles['agencies'] = {}
  for (const id of agencies) {
    const a = fed.agencies[id]!
    const adir = join(dir, id)
    mkdirSync(adir, { recursive: true })
    for (const role of ['tls', 'signing', 'encryption'] as const) {
      writeFileSync(join(adir, `${role}.key.pem`), a[role].keyPem, { mode: 0o600 })
      writeFileSync(join(adir, `${role}.chain.pem`), a[role].chainPem)
    }
    const apiKey = `test-${id}-key`
    const configFile = join(adir, 'node.json')
    writeFileSync(configFile, JSON.stringify({
      dataDir: './data',
      tls: { key: 'tls.key.pem', cert: 'tls.chain.pem' },
      trust: { anchors: ['../root.crt.pem'], directory: '../directory.jws', crls: ['../root.crl', '../issuing-ca.crl'], ...opts.trust },
      agencies: [{ id, signing: { key: 'signing.key.pem', cert: 'signing.chain.pem' }, encryption: { key: 'encryption.key.pem', cert: 'encryption.chain.pem' } }],
      federation: { host: '127.0.0.1', port: ports[id], ...opts.listeners?.(id).federation },
      api: { host: '127.0.0.1', port: opts.apiPorts?.[id] ?? 0, keys: [{ name: 'test', sha256: createHash('sha256').update(apiKey).digest('hex'), agencies: [id] }], ...opts.listeners?.(id).api },
      delivery: { initialBackoffMs: 50, maxBackoffMs: 400, probeInitialBackoffMs: 50, probeMaxBackoffMs: 400, ...opts.delivery },
      log: { level: opts.logLevel ?? 'silent' },
      ...opts.extra,
      ...opts.extraFor?.(id),
    }, null, 2))
    out[id] = { configFile, apiKey, federationPort: ports[id]! }
  }
  return { fed, dir, directory, agencies: out }
}

/** Nodes for the given agencies of the shared throwaway federation, in this process (none listening until start()). */
export async function testNet(agencies: readonly string[] = ['moi', 'mof', 'dga'], opts: NetOptions = {}): Promise<TestNet> {
  const files = await writeNetFiles(agencies, opts)
  const nodes: Record<string, TestNode> = {}
  for (const id of agencies) {
    const { configFile, apiKey, federationPort } = files.agencies[id]!
    const node: TestNode = {
      id, apiKey, configFile, federationPort,
      async start() {
        if (node.ctx) return
        const config = loadConfig({ file: configFile, env: {}, packageRoot: process.cwd() })
        const ctx = await createContext(config, { ...(opts.log ? {} : { log: createLogger('silent') }), ...(opts.clock ? { clock: opts.clock } : {}) })
        const { apiUrl } = await ctx.listen()
        node.ctx = ctx
        node.apiUrl = apiUrl
      },
      async stop() {
        const ctx = node.ctx
        node.ctx = undefined
        if (ctx) await ctx.close()
      },
    }
    nodes[id] = node
  }
  return {
    fed: files.fed, dir: files.dir, nodes, directory: files.directory,
    async stop() {
      for (const n of Object.values(nodes)) await n.stop()
      rmSync(files.dir, { recursive: true, force: true })
    },
  }
}

export interface ApiAnswer {
  status: number
  headers: Headers
  body: any
}

export async function call(node: TestNode, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  const res = await fetch(node.apiUrl + path, {
    method,
    headers: { authorization: `Bearer ${node.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  const ct = res.headers.get('content-type') ?? ''
  const answer = { status: res.status, headers: res.headers, body: ct.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer()) }
  // SARABAN_CHECK_OPENAPI=1: every answer a test sees is checked against test/api-client/openapi.json (issue 20 §3).
  if (process.env.SARABAN_CHECK_OPENAPI === '1') {
    const { describedAnswer } = await import('../api-client/checker.js')
    describedAnswer(method, path, answer.status, ct, ct.includes('json') ? answer.body : undefined)
  }
  return answer
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export async function waitForRecipient(node: TestNode, letterId: string, status: string, timeoutMs?: number) {
  return waitFor(`letter ${letterId} → ${status}`, async () => {
    const r = await call(node, 'GET', `/api/v1/letters/${letterId}?include=receipts`)
    return r.body.recipients?.every((x: { status: string }) => x.status === status) ? r.body : undefined
  }, timeoutMs)
}

/** A raw mTLS client to a node's federation endpoint, with whatever client identity a test wants. */
export async function federationPost(
  port: number,
  opts: { key?: string; cert?: string; ca: string; body: Buffer; contentType?: string; routing?: { messageId: string; from: string; to: string }; headers?: Record<string, string> },
): Promise<{ status: number; contentType: string; body: Buffer }> {
  const client = new Client(`https://127.0.0.1:${port}`, {
    connect: { ca: opts.ca, ...(opts.key ? { key: opts.key, cert: opts.cert } : {}), rejectUnauthorized: true },
  })
  try {
    const res = await client.request({ method: 'POST', path: '/federation/v1/messages', headers: {
      'content-type': opts.contentType ?? 'application/jose',
      ...(opts.routing ? { 'saraban-message-id': opts.routing.messageId, 'saraban-from': opts.routing.from, 'saraban-to': opts.routing.to } : {}),
      ...opts.headers,
    }, body: opts.body })
    const chunks: Buffer[] = []
    for await (const c of res.body) chunks.push(c as Buffer)
    return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }
  } finally {
    await client.close()
  }
}

export function thaiLetter(to: string[], extra: Record<string, unknown> = {}) {
  return {
    // No ที่: an agency with an owner code gets the next number from the node (README "Registers"),
    // and one ที่ is used once a year (ERR_NUMBER_IN_USE); a test that needs one passes `number`.
    kind: 'EXTERNAL',
    date: '2026-11-25',
    subject: 'ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์',
    salutation: 'เรียน ปลัดกระทรวงการคลัง',
    recipients: to.map((agency) => ({ agency })),
    body: 'ด้วยกระทรวงมหาดไทยจะจัดประชุม จึงขอเรียนเชิญท่านหรือผู้แทนเข้าร่วมประชุม',
    closing: 'ขอแสดงความนับถือ',
    signer: { name: 'นายสมชาย ใจดี', position: 'ปลัดกระทรวงมหาดไทย' },
    ...extra,
  }
}
