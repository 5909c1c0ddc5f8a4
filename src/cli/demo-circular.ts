// `saraban-node demo`, the circular part (หนังสือเวียน, PROTOCOL.md §16–§17): 40 local
// administrations hosted on ONE extra node (its own TLS identity, listed under the directory's
// `nodes`), all accepting cms-v1 only, so that moi's circular is signed once and encrypted once for
// the whole group; the shared content is stored once, each recipient gets only its head and tail.
//
// Nothing under certs-dev/ is written: the new keys and certificates (issued by the dev issuing CA,
// read from certs-dev/ca), the demo directory (certs-dev's agencies + the new ones, signed with
// certs-dev/ca/directory.key.pem, serial + 1) and the hosting node's files all go to dataRoot. The demo
// directory names the endpoints of the demo's port layout (src/cli/dev-ports.ts, --base-port): peers
// dial what the signed directory says, so moving the listeners means re-signing it (issue 21 §3).
//
// Use from demo.ts:
//   const circ = await prepareCircularDemo({ root, dataRoot, ports })   // before moi/mof/dga start
//   createContext({ ...config, ...circ.override(config), tsa: … })      // each of moi/mof/dga
//   await circ.run({ log, tsaUrl, say, moi: { ctx, apiUrl } })          // at the end; throws on failure
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig, type Config as NodeConfig } from '../config/index.js'
import type { IncomingMessage } from 'node:http'
import { createContext, type AppContext } from '../context.js'
import type { Logger } from '../log.js'
import { parsePemChain, toBase64Der } from '../pki/cert.js'
import { loadPrivateKey } from '../pki/keys.js'
import { issueCertificate, type Issued } from '../pki/dev-issue.js'
import { signDirectory, type DirectoryAgency, type DirectoryDocument } from '../pki/directory.js'
import { bangkokDate } from '../domain/thai.js'
import { beYearOfCe } from '../domain/registers.js'
import { samplePdf } from './sample-pdf.js'
import type { DevPorts } from './dev-ports.js'

const COUNT = 40
const NODE_ID = 'lao-hosting'
const PROFILES = ['cms-v1']
const DAY = 86_400_000
const apiKeyOf = (id: string) => `demo-${id}-key`
const sha = (s: string) => createHash('sha256').update(s).digest('hex')

// Thai sub-district names for the local administrations (องค์การบริหารส่วนตำบล…).
const TAMBON = [
  'บางกระทึก', 'บางเลน', 'ไทรน้อย', 'ลาดบัวหลวง', 'หนองเสือ', 'คลองหลวง', 'บางปลาม้า', 'ดอนเจดีย์',
  'สามชุก', 'ศรีประจันต์', 'บ้านหมี่', 'ท่าวุ้ง', 'โคกสำโรง', 'หนองม่วง', 'ลำสนธิ', 'ชัยบาดาล',
  'ท่าหลวง', 'พัฒนานิคม', 'สระโบสถ์', 'โคกเจริญ', 'หนองแซง', 'วิหารแดง', 'เสาไห้', 'มวกเหล็ก',
  'แก่งคอย', 'บ้านหมอ', 'ดอนพุด', 'หนองโดน', 'เฉลิมพระเกียรติ', 'ท่าเรือ', 'นครหลวง', 'บางไทร',
  'บางบาล', 'ผักไห่', 'เสนา', 'ลาดบัวขาว', 'วังน้อย', 'อุทัย', 'มหาราช', 'บ้านแพรก',
]


async function api(base: string, key: string, path: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(new URL(path, base), { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } })
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer())
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} → ${res.status} ${JSON.stringify(body)}`)
  return body
}

export interface CircularDemo {
  /** Agency ids of the local administrations. */
  readonly agencies: readonly string[]
  /** The demo directory (signed JWS) in dataRoot. */
  readonly directoryFile: string
  /** What to spread over each moi/mof/dga config so that it loads the demo directory. */
  override(config: NodeConfig): { trust: NodeConfig['trust'] }
  /** Starts the hosting node, sends the circular from moi, checks and narrates; throws on failure. */
  run(opts: { log: Logger; tsaUrl: string; say: (s: string) => void; moi: { ctx: AppContext; apiUrl: string } }): Promise<void>
  /** Stops the hosting node (run() stops it itself; this is for a failure before or during run). */
  close(): Promise<void>
}

/** Issues the local administrations' certificates and the hosting node's TLS certificate under the
 *  dev issuing CA, writes the hosting node's files and the demo directory into dataRoot. */
export async function prepareCircularDemo(opts: { root: string; dataRoot: string; ports: DevPorts; count?: number }): Promise<CircularDemo> {
  const certsDev = join(opts.root, 'certs-dev')
  const read = (...p: string[]) => readFileSync(join(certsDev, ...p), 'utf8')
  const issuingCert = parsePemChain(read('ca', 'issuing-ca.crt.pem'))[0]!
  const issuer = { key: loadPrivateKey(read('ca', 'issuing-ca.key.pem')), cert: issuingCert, chain: [issuingCert] }
  const dirSigner = { key: loadPrivateKey(read('ca', 'directory.key.pem')), chain: parsePemChain(read('ca', 'directory.chain.pem')) }
  // The directory certs-dev publishes (the JWS, not the input file: what the nodes load today).
  const published = JSON.parse(Buffer.from(read('directory.jws').trim().split('.')[1]!, 'base64url').toString('utf8')) as DirectoryDocument

  const count = opts.count ?? COUNT
  const ids = Array.from({ length: count }, (_, i) => `lao-${String(i + 1).padStart(3, '0')}`)
  const nameTh = (i: number) => `องค์การบริหารส่วนตำบล${TAMBON[i % TAMBON.length]}${i >= TAMBON.length ? ` ${Math.floor(i / TAMBON.length) + 1}` : ''}`
  const now = Date.now()
  const validity = { notBefore: new Date(now - 3600_000), notAfter: new Date(now + 365 * DAY) }
  const issue = (role: 'tls' | 'signing' | 'encryption', id: string, cn: string, org?: string) =>
    issueCertificate(issuer, { role, keyType: 'ec-p256', subject: { commonName: cn, ...(org ? { organization: org } : {}), agencyId: id, country: 'TH' }, ...validity })
  const keys: Record<string, { signing: Issued; encryption: Issued }> = {}
  const [tls] = await Promise.all([
    issue('tls', NODE_ID, 'Local Administration Hosting Node (DEMO)'),
    ...ids.map(async (id, i) => {
      const [signing, encryption] = await Promise.all([issue('signing', id, `Local Administration ${id}`, nameTh(i)), issue('encryption', id, `Local Administration ${id}`, nameTh(i))])
      keys[id] = { signing, encryption }
    }),
  ])
  const port = opts.ports.hosting.federation
  const url = `https://127.0.0.1:${port}`
  const devEndpoint = (a: DirectoryAgency): DirectoryAgency => {
    const ours = (opts.ports.agencies as Record<string, { federation: number }>)[a.id]
    return ours ? { ...a, endpoints: [`https://127.0.0.1:${ours.federation}`] } : a
  }

  // The demo directory: certs-dev's + the local administrations, all behind the hosting node.
  const entries: DirectoryAgency[] = ids.map((id, i) => ({
    id, nameTh: nameTh(i), nameEn: `Local Administration ${id}`,
    endpoints: [url],
    certificates: { tls: [], signing: [toBase64Der(keys[id]!.signing.cert)], encryption: [toBase64Der(keys[id]!.encryption.cert)] },
    profiles: [...PROFILES], status: 'active', node: NODE_ID,
  }))
  const doc: DirectoryDocument = {
    ...published,
    serial: published.serial + 1,
    issuedAt: new Date(now - 60_000).toISOString(),
    agencies: [...published.agencies.filter((a) => !ids.includes(a.id)).map(devEndpoint), ...entries],
    nodes: [...(published.nodes ?? []).filter((n) => n.id !== NODE_ID), { id: NODE_ID, endpoints: [url], certificates: { tls: [toBase64Der(tls!.cert)] }, agencies: ids }],
  }
  const directoryFile = join(opts.dataRoot, 'demo-directory.jws')
  mkdirSync(opts.dataRoot, { recursive: true })
  writeFileSync(directoryFile, await signDirectory(doc, dirSigner))

  // The hosting node's folder: TLS identity, one hosted-agency file per local administration.
  const ndir = join(opts.dataRoot, NODE_ID)
  const agenciesDir = join(ndir, 'agencies.d')
  mkdirSync(agenciesDir, { recursive: true })
  writeFileSync(join(ndir, 'tls.key.pem'), tls!.keyPem, { mode: 0o600 })
  writeFileSync(join(ndir, 'tls.chain.pem'), tls!.chainPem)
  for (const id of ids) {
    const kdir = join(ndir, 'keys', id)
    mkdirSync(kdir, { recursive: true })
    const pair = (role: 'signing' | 'encryption') => {
      writeFileSync(join(kdir, `${role}.key.pem`), keys[id]![role].keyPem, { mode: 0o600 })
      writeFileSync(join(kdir, `${role}.chain.pem`), keys[id]![role].chainPem)
      return [{ key: `../keys/${id}/${role}.key.pem`, cert: `../keys/${id}/${role}.chain.pem` }]
    }
    const body = { id, signing: pair('signing'), encryption: pair('encryption'), apiKeys: [{ name: `${id}-app`, sha256: sha(apiKeyOf(id)) }] }
    writeFileSync(join(agenciesDir, `.${id}.tmp`), JSON.stringify(body, null, 2))
    renameSync(join(agenciesDir, `.${id}.tmp`), join(agenciesDir, `${id}.json`))
  }
  const configFile = join(ndir, 'node.json')
  writeFileSync(configFile, JSON.stringify({
    dataDir: './data',
    tls: { key: 'tls.key.pem', cert: 'tls.chain.pem' },
    trust: {
      anchors: [join(certsDev, 'root.crt.pem')], directory: directoryFile,
      crls: [join(certsDev, 'crl', 'root.crl'), join(certsDev, 'crl', 'issuing-ca.crl')], revocation: 'hard',
    },
    agencies: [],
    hosting: { agenciesDir: 'agencies.d', rescanSeconds: 3600 },
    federation: { host: '127.0.0.1', port },
    api: { host: '127.0.0.1', port: opts.ports.hosting.api, keys: [] },
    log: { level: 'warn' },
  }, null, 2))

  let node: AppContext | undefined
  const close = async () => {
    const ctx = node
    node = undefined
    if (ctx) await ctx.close()
  }

  return {
    agencies: ids,
    directoryFile,
    override: (config) => ({ trust: { ...config.trust, directory: directoryFile } }),
    close,
    async run({ log, tsaUrl, say, moi }) {
      try {
        const config = loadConfig({ file: configFile, env: {}, packageRoot: opts.root })
        node = await createContext({ ...config, tsa: { ...config.tsa, url: tsaUrl } }, { log: log.child({ node: NODE_ID }) })
        const { federationUrl, apiUrl } = await node.listen()
        // What crosses the wire to the hosting node (PROTOCOL.md §17.8): request sizes, whole or by reference.
        const wire: Array<{ bytes: number; byReference: boolean }> = []
        node.federation.server.on('request', (req: IncomingMessage) => {
          if (req.method === 'POST') wire.push({ bytes: Number(req.headers['content-length'] ?? 0), byReference: req.headers['saraban-shared-sha256'] !== undefined })
        })
        say(`⑫ circular (หนังสือเวียน): a hosting node “${NODE_ID}” at ${federationUrl} (one TLS identity, listed in the directory's nodes) speaks for ${ids.length} local administrations (${ids[0]}…${ids.at(-1)}, e.g. ${nameTh(0)}), each with its own EC P-256 signing and encryption certificates; all accept ${PROFILES.join(', ')}`)

        const pdf = samplePdf('saraban-node demo circular', ['From: Ministry of Interior (moi)', `To: ${ids.length} local administrations`, 'Subject: circular letter'], 1_000_000)
        const pdfSha = createHash('sha256').update(pdf).digest('hex')
        const subject = 'แนวทางการจัดทำแผนพัฒนาท้องถิ่นและการรายงานผลผ่านระบบสารบรรณอิเล็กทรอนิกส์'
        const date = bangkokDate(new Date())
        const num = await api(moi.apiUrl, 'dev-moi-key', '/api/v1/registers/circular/numbers', {
          method: 'POST',
          body: JSON.stringify({ agency: 'moi', letterDate: date, subject, to: `องค์กรปกครองส่วนท้องถิ่น ${ids.length} แห่ง` }),
        })
        say(`   moi took circular number ${num.number} of ${num.year} from its ว register: ${num.letterNumber}`)
        const letter = {
          kind: 'EXTERNAL',
          number: num.letterNumber,
          date,
          subject,
          salutation: 'เรียน นายกองค์การบริหารส่วนตำบล ทุกแห่ง',
          recipients: ids.map((agency) => ({ agency, title: 'นายกองค์การบริหารส่วนตำบล' })),
          body: 'ด้วยกระทรวงมหาดไทยได้กำหนดแนวทางการจัดทำแผนพัฒนาท้องถิ่น จึงขอให้องค์กรปกครองส่วนท้องถิ่นถือปฏิบัติตามแนวทางที่แนบมาพร้อมนี้',
          closing: 'ขอแสดงความนับถือ',
          signer: { name: 'นายสมชาย ใจดี', position: 'ปลัดกระทรวงมหาดไทย' },
          urgency: 'NORMAL',
          secrecy: 'UNCLASSIFIED',
        }
        const t0 = Date.now()
        const sent = await api(moi.apiUrl, 'dev-moi-key', '/api/v1/letters', {
          method: 'POST',
          body: JSON.stringify({ letter, attachments: [{ filename: 'แนวทางการจัดทำแผนพัฒนาท้องถิ่น.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }] }),
        })
        const sealedMs = Date.now() - t0
        const profiles = [...new Set(sent.recipients.map((r: { profile: string }) => r.profile))]
        if (sent.recipients.length !== ids.length) throw new Error(`circular: ${sent.recipients.length} recipients, expected ${ids.length}`)
        const db = moi.ctx.db.sqlite
        const contents = db.prepare('SELECT count(*) AS n, coalesce(sum(length(bytes)), 0) AS bytes FROM outbox_contents WHERE letter_id = ?').get(sent.id) as { n: number; bytes: number }
        const per = db.prepare(`SELECT count(*) AS n, coalesce(sum(length(e.bytes) + coalesce(length(e.tail), 0)), 0) AS bytes
          FROM outbox_envelopes e JOIN outbox_messages m ON m.message_id = e.message_id WHERE m.letter_id = ?`).get(sent.id) as { n: number; bytes: number }
        say(`   sealed by moi in ${sealedMs} ms: letter ${sent.id} to ${sent.recipients.length} recipients in ${profiles.join(', ')}, signed once and encrypted once for the group`)
        say(`   stored once: ${contents.n} shared content of ${contents.bytes} bytes (the ${pdf.length}-byte PDF, encrypted) + ${per.n} per-recipient heads/tails totalling ${per.bytes} bytes (${Math.round(per.bytes / Math.max(per.n, 1))} bytes each) — instead of ${per.n} × ~${contents.bytes} bytes`)
        if (contents.n !== 1) throw new Error(`circular: expected the shared content stored once, found ${contents.n}`)
        if (per.bytes >= pdf.length) throw new Error(`circular: per-recipient bytes ${per.bytes} not smaller than one attachment`)

        let status: any
        for (let i = 0; i < 1200; i++) {
          status = await api(moi.apiUrl, 'dev-moi-key', `/api/v1/letters/${sent.id}`)
          if (status.recipients.every((r: any) => ['delivered', 'failed'].includes(r.status))) break
          await new Promise((r) => setTimeout(r, 50))
        }
        const notDelivered = status.recipients.filter((r: any) => r.status !== 'delivered')
        if (notDelivered.length > 0) throw new Error(`circular: not delivered to ${notDelivered.length}: ${JSON.stringify(notDelivered.slice(0, 3))}`)
        const envelopes = new Set(status.recipients.map((r: any) => r.envelopeSha256)).size
        say(`   delivered to all ${status.recipients.length} over mutual TLS to the one hosting node in ${Date.now() - t0} ms from sending; each its own envelope (${envelopes} distinct sha256) and its own signed receipt, verified by moi`)
        const whole = wire.filter((w) => !w.byReference)
        const byRef = wire.filter((w) => w.byReference)
        const sum = (ws: typeof wire) => ws.reduce((n, w) => n + w.bytes, 0)
        say(`   on the wire: ${whole.length} whole part${whole.length === 1 ? '' : 's'} (${sum(whole)} bytes), then ${byRef.length} by reference to the content the node already held (${sum(byRef)} bytes in all; PROTOCOL.md §17.8) — ${sum(wire)} bytes instead of ~${ids.length * contents.bytes}`)
        if (byRef.length === 0) throw new Error('circular: no part went by reference')

        const one = status.recipients[Math.floor(ids.length / 2)]
        const key = apiKeyOf(one.agency)
        const got = await api(apiUrl, key, `/api/v1/inbox/${one.messageId}`)
        const bytes: Buffer = await api(apiUrl, key, `/api/v1/inbox/${one.messageId}/attachments/${got.attachments[0].id}`)
        const same = createHash('sha256').update(bytes).digest('hex') === pdfSha
        say(`   in ${one.agency}'s inbox: ${got.letter.number} “${got.letter.subject}” from ${got.from}; ${got.attachments[0].filename} ${bytes.length} bytes, sha256 ${same ? 'matches the PDF moi sent' : 'DOES NOT MATCH'}`)
        if (!same) throw new Error('circular: attachment digest mismatch')

        const year = beYearOfCe(Number(date.slice(0, 4)))
        const reg = await api(moi.apiUrl, 'dev-moi-key', `/api/v1/registers/circular?year=${year}&agency=moi`)
        const entry = (reg.entries as any[]).find((e) => e.number === num.number)
        if (!entry) throw new Error(`circular: number ${num.number} not in moi's circular register ${JSON.stringify(reg).slice(0, 300)}`)
        const linked = JSON.stringify(entry).includes(sent.id)
        say(`   moi's circular register (ทะเบียนหนังสือเวียน) ${reg.year}: entry ${entry.number} ${entry.letterNumber ?? num.letterNumber} “${entry.subject ?? subject}”${linked ? `, linked to letter ${sent.id}` : ''} (${reg.total} entr${reg.total === 1 ? 'y' : 'ies'})`)
        if (!linked) throw new Error(`circular: register entry not linked to the letter: ${JSON.stringify(entry)}`)
      } finally {
        await close()
      }
    },
  }
}
