// `saraban-node demo`: three dev agencies on loopback; one Thai letter with a PDF from moi to mof,
// narrated step by step; every step checked, exit 0 only if all of them held.
import { classifiedDemo, withOfficerKey } from './demo-classified.js'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../config/index.js'
import { createContext, type AppContext } from '../context.js'
import { createLogger } from '../log.js'
import { packageRoot } from '../version.js'
import { bangkokDate, thaiDate } from '../domain/thai.js'
import { parse } from './args.js'
import { samplePdf } from './sample-pdf.js'
import { systemClock } from '../clock.js'
import { parsePemChain } from '../pki/cert.js'
import { loadPrivateKey } from '../pki/keys.js'
import { buildTsaServer } from '../tsa/server.js'
import { verifyTimeStampToken } from '../tsa/verify.js'
import { verifyEvidence } from '../services/evidence/index.js'
import type { Command } from './commands.js'
import { prepareCircularDemo } from './demo-circular.js'
import { basePortOption, devPorts, readDevPorts, BASE_PORT_SPAN } from './dev-ports.js'
import { awaitReceivedProofs, logDemo } from './demo-log.js'

const AGENCIES = ['moi', 'mof', 'dga'] as const
const PROFILE_WORDS: Record<string, string> = {
  'jose-v1': 'jose-v1 — signed (JWS, x5c) and encrypted (JWE, A256GCM)',
  'cms-v1': 'cms-v1 — signed (CMS SignedData) and encrypted (AuthEnvelopedData, AES-256-GCM)',
  'jose-v2': 'jose-v2 — signed (JWS, x5c) and encrypted (JWE flattened JSON, A256GCM; PROTOCOL.md §17)',
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls `get` until it returns something (every 50 ms, at most 20 s); `what` names the wait in the error. */
async function until<T>(what: string, get: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await get()
    if (v !== undefined) return v
    await sleep(50)
  }
  throw new Error(`timed out waiting for ${what}`)
}
const say = (s: string) => process.stdout.write(s + '\n')

async function api(base: string, key: string, path: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(new URL(path, base), { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } })
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer())
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} → ${res.status} ${JSON.stringify(body)}`)
  return body
}

export const demoCommand: Command = {
  summary: 'run a three-agency federation with a TSA on loopback: a Thai letter through its whole lifecycle',
  help: `Usage: saraban-node demo [--base-port N] [--keep]

Starts the dev time-stamping authority and moi, mof and dga from certs-dev/ (on the ports of
certs-dev/ports.env: by default federation 8443-8445, API 8080-8082, TSA 3180; data in a temporary
folder), sends one Thai letter with a PDF from moi
to mof (jose-v2) and dga (cms-v1), numbered from moi's send register; mof registers it (the signed
acceptance carries its receive number), dga rejects it, a second letter is withdrawn; then prints
mof's events and checks the evidence bundle; dga's saraban system then speaks e-CMS to its node
(pulls moi's letter, sends one to mof, pulls mof's acceptance with its receive number); last, a circular (ว number) from moi to 40 local
administrations on an extra hosting node, signed once and encrypted once.
Options:
  --base-port N   every listener from N instead (N..N+${BASE_PORT_SPAN}, the layout of
                  \`dev-certs --base-port\`); the demo's own signed directory names those endpoints.
                  Default: the environment variable SARABAN_BASE_PORT, else certs-dev's ports.
  --keep          keep the temporary data folder and print its path
`,
  async run(argv) {
    const { values } = parse(argv, { keep: { type: 'boolean' }, 'base-port': { type: 'string' } })
    const root = packageRoot()
    const base = basePortOption(values['base-port'])
    const ports = base === null ? readDevPorts(join(root, 'certs-dev')) : devPorts(base)
    const dataRoot = mkdtempSync(join(tmpdir(), 'saraban-demo-'))
    const log = createLogger('warn', process.stderr)
    const nodes: Record<string, { ctx: AppContext; apiUrl: string }> = {}
    const tsaDir = join(root, 'certs-dev', 'tsa')
    const tsa = await buildTsaServer({
      signer: { key: loadPrivateKey(readFileSync(join(tsaDir, 'tsa.key.pem'), 'utf8')), chain: parsePemChain(readFileSync(join(tsaDir, 'tsa.chain.pem'), 'utf8')) },
      clock: systemClock, log: log.child({ area: 'tsa' }),
    })
    try {
      const tsaUrl = (await tsa.listen({ host: '127.0.0.1', port: ports.tsa })) + '/'
      const circ = await prepareCircularDemo({ root, dataRoot, ports })
      // The e-CMS part (and its XML libraries) is loaded by the demo, not by every command of the CLI.
      const { ecmsDemo, withEcmsClient } = await import('./demo-ecms.js')
      say(`① dev time-stamping authority (RFC 3161, certs-dev/tsa) at ${tsaUrl}`)
      for (const id of AGENCIES) {
        const config = loadConfig({
          file: join(root, 'certs-dev', id, 'node.json'),
          env: { SARABAN_DATA_DIR: join(dataRoot, id), SARABAN_FEDERATION_PORT: String(ports.agencies[id].federation), SARABAN_API_PORT: String(ports.agencies[id].api) },
          packageRoot: root,
        })
        const ctx = await createContext({ ...config, ...circ.override(config), ...withOfficerKey(config, id), ...withEcmsClient(config, id), tsa: { ...config.tsa, url: tsaUrl } }, { log: log.child({ agency: id }) })
        const { federationUrl, apiUrl } = await ctx.listen()
        nodes[id] = { ctx, apiUrl }
        const entry = ctx.directory().agency(id)
        say(`   started ${id.padEnd(3)} — ${entry?.nameTh ?? ''}: federation ${federationUrl} (mTLS, TLS 1.3), API ${apiUrl}, accepts ${entry?.profiles.join(', ')}`)
      }
      const moi = nodes.moi!
      const pdf = samplePdf('saraban-node demo letter', ['From: Ministry of Interior (moi)', 'To: Ministry of Finance (mof), DGA (dga)', 'Subject: meeting invitation'], 120_000)
      const pdfSha = createHash('sha256').update(pdf).digest('hex')
      // ที่: the next number of moi's send register (README "Registers"); the entry is linked when the letter is sent.
      const numbered = await api(moi.apiUrl, 'dev-moi-key', '/api/v1/registers/send/numbers', { method: 'POST', body: JSON.stringify({ agency: 'moi' }) })
      const letter = {
        kind: 'EXTERNAL',
        number: numbered.letterNumber as string,
        date: bangkokDate(new Date()),
        subject: 'ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์',
        salutation: 'เรียน ปลัดกระทรวงการคลัง และผู้อำนวยการสำนักงานพัฒนารัฐบาลดิจิทัล',
        recipients: [{ agency: 'mof', title: 'ปลัดกระทรวงการคลัง' }, { agency: 'dga', title: 'ผู้อำนวยการสำนักงานพัฒนารัฐบาลดิจิทัล' }],
        body: 'ด้วยกระทรวงมหาดไทยจะจัดประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์ จึงขอเรียนเชิญท่านหรือผู้แทนเข้าร่วมประชุม',
        closing: 'ขอแสดงความนับถือ',
        signer: { name: 'นายสมชาย ใจดี', position: 'ปลัดกระทรวงมหาดไทย' },
        urgency: 'URGENT',
        secrecy: 'UNCLASSIFIED',
      }
      const sent = await api(moi.apiUrl, 'dev-moi-key', '/api/v1/letters', {
        method: 'POST',
        body: JSON.stringify({ letter, attachments: [{ filename: 'หนังสือเชิญประชุม.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }] }),
      })
      say(`② sealed by moi: letter ${sent.id} “${letter.subject}”, ${thaiDate(new Date())}; one envelope per recipient, in the profile it prefers:`)
      for (const r of sent.recipients) say(`   → ${r.agency}: ${PROFILE_WORDS[r.profile] ?? r.profile}; message ${r.messageId}, envelope sha256 ${r.envelopeSha256.slice(0, 16)}…`)
      let status: any
      for (let i = 0; i < 400; i++) {
        status = await api(moi.apiUrl, 'dev-moi-key', `/api/v1/letters/${sent.id}`)
        if (status.recipients.every((r: any) => ['delivered', 'failed'].includes(r.status))) break
        await new Promise((r) => setTimeout(r, 50))
      }
      for (const rec of status.recipients) {
        if (rec.status !== 'delivered') throw new Error(`delivery to ${rec.agency} did not complete: ${JSON.stringify(rec)}`)
        say(`③ delivered to ${rec.agency} over mutual TLS at ${rec.deliveredAt}; its signed ${rec.profile} receipt was verified by moi and binds envelope sha256 ${rec.envelopeSha256.slice(0, 16)}…`)
        const node = nodes[rec.agency]!
        const key = `dev-${rec.agency}-key`
        const got = await api(node.apiUrl, key, `/api/v1/inbox/${rec.messageId}`)
        const bytes: Buffer = await api(node.apiUrl, key, `/api/v1/inbox/${rec.messageId}/attachments/${got.attachments[0].id}`)
        const same = createHash('sha256').update(bytes).digest('hex') === pdfSha
        say(`④ in ${rec.agency}'s inbox: “${got.letter.subject}” from ${got.from}, signed by ${got.signer.subject.split('\n').join(', ')}; ${got.attachments[0].filename} ${bytes.length} bytes, sha256 ${same ? 'matches the PDF moi sent' : 'DOES NOT MATCH'}`)
        if (!same) throw new Error('attachment digest mismatch')
      }
      // The time-stamps are taken beside delivery, never in its way (PROTOCOL.md §13): wait for them.
      for (let i = 0; i < 200 && moi.ctx.timestamps.status().pending > 0; i++) await new Promise((r) => setTimeout(r, 50))
      const stamps = moi.ctx.timestamps.tokensFor(status.recipients[0].messageId).filter((t) => t.side === 'outbox')
      say(`⑤ moi time-stamped the letter's and the receipts' signatures (${stamps.map((t) => `${t.kind} at ${t.genTime.toISOString()}`).join(', ')}; ${moi.ctx.timestamps.status().pending} pending)`)
      // Stage two (PROTOCOL.md §18): mof registers the letter, dga rejects it; each answer is a signed notice.
      const toMof = status.recipients.find((r: any) => r.agency === 'mof')
      const toDga = status.recipients.find((r: any) => r.agency === 'dga')
      const reg = await api(nodes.mof!.apiUrl, 'dev-mof-key', `/api/v1/inbox/${toMof.messageId}/register`, { method: 'POST', body: JSON.stringify({ action: 'เสนอปลัดกระทรวงการคลัง' }) })
      const accepted = await until('mof’s acceptance at moi', async () => {
        const r = (await api(moi.apiUrl, 'dev-moi-key', `/api/v1/letters/${sent.id}`)).recipients.find((x: any) => x.agency === 'mof')
        return r.state === 'accepted' ? r : undefined
      })
      say(`⑥ mof registered it: receive number ${reg.registration.number} of its ${reg.registration.book} register ${reg.registration.year}; moi received the signed acceptance — mof is “accepted”, receive number ${accepted.accepted.number}`)
      await api(nodes.dga!.apiUrl, 'dev-dga-key', `/api/v1/inbox/${toDga.messageId}/reject`, { method: 'POST', body: JSON.stringify({ reasonCode: 'wrong-agency', reason: 'เรื่องนี้อยู่ในอำนาจของสำนักงานปลัดกระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม' }) })
      const rejected = await until('dga’s rejection at moi', async () => {
        const r = (await api(moi.apiUrl, 'dev-moi-key', `/api/v1/letters/${sent.id}`)).recipients.find((x: any) => x.agency === 'dga')
        return r.state === 'rejected' ? r : undefined
      })
      say(`⑦ dga rejected it (${rejected.rejected.reasonCode}: “${rejected.rejected.reason}”); moi received the signed rejection — dga is “rejected”`)
      // Withdrawal (ขอลบหนังสือเพื่อส่งใหม่): a second letter to mof, withdrawn before mof registers it.
      const second = await api(moi.apiUrl, 'dev-moi-key', '/api/v1/letters', {
        method: 'POST',
        body: JSON.stringify({ letter: { ...letter, number: (await api(moi.apiUrl, 'dev-moi-key', '/api/v1/registers/send/numbers', { method: 'POST', body: JSON.stringify({ agency: 'moi' }) })).letterNumber, subject: 'แจ้งกำหนดการประชุม (ฉบับที่ต้องแก้ไข)', recipients: [letter.recipients[0]] }, attachments: [{ filename: 'กำหนดการ.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }] }),
      })
      const secondMid = (await until('the second letter’s delivery', async () => {
        const v = await api(moi.apiUrl, 'dev-moi-key', `/api/v1/letters/${second.id}`)
        return v.recipients[0].status === 'delivered' ? v : undefined
      })).recipients[0].messageId
      await api(moi.apiUrl, 'dev-moi-key', `/api/v1/letters/${second.id}/withdraw`, { method: 'POST', body: JSON.stringify({ reason: 'ขอลบหนังสือเพื่อส่งใหม่ เนื่องจากกำหนดการผิด' }) })
      const withdrawn = await until('the withdrawal at mof', async () => {
        const m = await api(nodes.mof!.apiUrl, 'dev-mof-key', `/api/v1/inbox/${secondMid}`)
        return m.state === 'withdrawn' ? m : undefined
      })
      say(`⑧ moi withdrew a second letter (${second.letter.number}) before mof registered it; mof’s inbox shows it “withdrawn”: “${withdrawn.withdrawal.reason}”`)
      const events = await api(nodes.mof!.apiUrl, 'dev-mof-key', '/api/v1/events', { headers: { accept: 'application/json' } })
      const counts = new Map<string, number>()
      for (const e of events.items) counts.set(e.type, (counts.get(e.type) ?? 0) + 1)
      say(`⑨ mof’s saraban system was told (GET /api/v1/events, also as server-sent events and webhooks): ${[...counts].map(([t, n]) => `${n} × ${t}`).join(', ')}`)
      const book = await api(moi.apiUrl, 'dev-moi-key', `/api/v1/registers/send?year=${new Date().getFullYear() + 543}&agency=moi`)
      say(`   moi’s send register ${new Date().getFullYear() + 543}: ${book.entries.map((e: any) => `${e.number} ${e.letterNumber ?? ''} “${e.subject}”`).join('; ')}`)
      // The notices' signatures and receipts are time-stamped like letters (PROTOCOL.md §13.2): wait for them.
      for (let i = 0; i < 200 && moi.ctx.timestamps.status().pending > 0; i++) await new Promise((r) => setTimeout(r, 50))
      // The recipients' inclusion proofs of the letter are fetched after delivery (PROTOCOL.md §20.7): wait for them.
      await awaitReceivedProofs(moi.ctx, sent.recipients.map((r: { messageId: string }) => r.messageId))
      const evidence: Buffer = await api(moi.apiUrl, 'dev-moi-key', `/api/v1/letters/${sent.id}/evidence`)
      // As `verify-evidence --strict` (PROTOCOL.md §8.3): every signature at its time-stamp, every certificate under a CRL.
      const report = await verifyEvidence(evidence, { anchors: moi.ctx.anchors, profiles: moi.ctx.profiles, verifyTimeStampToken, strict: true })
      say(`⑩ evidence bundle v2 (${evidence.length} bytes, a tar archive): ${report.ok ? `verifies offline with --strict — envelopes, signatures of letters, receipts and notices at their time-stamps, chains, CRLs${report.weak.length ? ` (${report.weak.length} weaker claim(s))` : ', no weaker claim'}` : 'FAILED: ' + JSON.stringify(report.findings.filter((f) => !f.ok))}`)
      if (!report.ok) throw new Error('evidence did not verify')
      await ecmsDemo({
        say, api, until, dgaApi: nodes.dga!.apiUrl, mofApi: nodes.mof!.apiUrl, moiLetterNumber: letter.number, today: letter.date,
        ids: (agency) => moi.ctx.directory().agency(agency)?.ecms ?? { ministry: '', department: '' },
      })
      await classifiedDemo({ root, say, api, until, moi: moi.apiUrl, mof: nodes.mof!.apiUrl })
      await circ.run({ log, tsaUrl, say, moi })
      await logDemo({ say, nodes, dataRoot }, evidence, report)
      say('demo complete ✓')
      return 0
    } finally {
      for (const n of Object.values(nodes)) await n.ctx.close()
      await tsa.close()
      if (values.keep) say(`data kept in ${dataRoot}`)
      else rmSync(dataRoot, { recursive: true, force: true })
    }
  },
}
