// `saraban-node demo`: three dev agencies on loopback; one Thai letter with a PDF from moi to mof,
// narrated step by step; every step checked, exit 0 only if all of them held.
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../config/index.js'
import { createContext, type AppContext } from '../context.js'
import { createLogger } from '../log.js'
import { packageRoot } from '../version.js'
import { bangkokDate, thaiDate } from '../domain/thai.js'
import { parse } from './args.js'
import { samplePdf } from './sample-pdf.js'
import type { Command } from './commands.js'

const AGENCIES = ['moi', 'mof', 'dga'] as const
const say = (s: string) => process.stdout.write(s + '\n')

async function api(base: string, key: string, path: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(new URL(path, base), { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers } })
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer())
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} → ${res.status} ${JSON.stringify(body)}`)
  return body
}

export const demoCommand: Command = {
  summary: 'run a three-agency federation on loopback and send one Thai letter with a PDF',
  help: `Usage: saraban-node demo [--keep]

Starts moi, mof and dga from certs-dev/ (federation ports 8443-8445, API on free ports, data in a
temporary folder), sends a Thai letter with a PDF from moi to mof, and prints each step.
Options:
  --keep   keep the temporary data folder and print its path
`,
  async run(argv) {
    const { values } = parse(argv, { keep: { type: 'boolean' } })
    const root = packageRoot()
    const dataRoot = mkdtempSync(join(tmpdir(), 'saraban-demo-'))
    const log = createLogger('warn', process.stderr)
    const nodes: Record<string, { ctx: AppContext; apiUrl: string }> = {}
    try {
      for (const id of AGENCIES) {
        const config = loadConfig({
          file: join(root, 'certs-dev', id, 'node.json'),
          env: { SARABAN_DATA_DIR: join(dataRoot, id), SARABAN_API_PORT: '0' },
          packageRoot: root,
        })
        const ctx = await createContext(config, { log: log.child({ agency: id }) })
        const { federationUrl, apiUrl } = await ctx.listen()
        nodes[id] = { ctx, apiUrl }
        say(`① started ${id.padEnd(3)} — ${ctx.directory().agency(id)?.nameTh ?? ''}: federation ${federationUrl} (mTLS, TLS 1.3), API ${apiUrl}`)
      }
      const moi = nodes.moi!, mof = nodes.mof!
      const pdf = samplePdf('saraban-node demo letter', ['From: Ministry of Interior (moi)', 'To: Ministry of Finance (mof)', 'Subject: meeting invitation'], 120_000)
      const pdfSha = createHash('sha256').update(pdf).digest('hex')
      const letter = {
        kind: 'EXTERNAL',
        number: 'มท 0201.2/1590',
        date: bangkokDate(new Date()),
        subject: 'ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์',
        salutation: 'เรียน ปลัดกระทรวงการคลัง',
        recipients: [{ agency: 'mof', title: 'ปลัดกระทรวงการคลัง' }],
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
      const r0 = sent.recipients[0]
      say(`② sealed by moi: letter ${sent.id} “${letter.subject}”, ${thaiDate(new Date())}`)
      say(`   signed (JWS, x5c) and encrypted (JWE A256GCM) for mof's encryption certificate; message ${r0.messageId}, envelope sha256 ${r0.envelopeSha256.slice(0, 16)}…; queued`)
      let status: any
      for (let i = 0; i < 200; i++) {
        status = await api(moi.apiUrl, 'dev-moi-key', `/api/v1/letters/${sent.id}`)
        if (['delivered', 'failed'].includes(status.recipients[0].status)) break
        await new Promise((r) => setTimeout(r, 50))
      }
      const rec = status.recipients[0]
      if (rec.status !== 'delivered') throw new Error(`delivery did not complete: ${JSON.stringify(rec)}`)
      say(`③ delivered to mof over mutual TLS at ${rec.deliveredAt} (attempt ${rec.attempts})`)
      const claims = JSON.parse(Buffer.from(String(rec.receipt).split('.')[1]!, 'base64url').toString('utf8'))
      say(`④ receipt verified by moi: signed by mof, receivedAt ${claims.receivedAt}, binds envelope sha256 ${claims.envelopeSha256.slice(0, 16)}… (equal to what was sent: ${claims.envelopeSha256 === rec.envelopeSha256})`)
      const got = await api(mof.apiUrl, 'dev-mof-key', `/api/v1/inbox/${rec.messageId}`)
      say(`⑤ in mof's inbox: “${got.letter.subject}” from ${got.from}, signed by ${got.signer.subject.split('\n').join(', ')}`)
      const bytes: Buffer = await api(mof.apiUrl, 'dev-mof-key', `/api/v1/inbox/${rec.messageId}/attachments/${got.attachments[0].id}`)
      const same = createHash('sha256').update(bytes).digest('hex') === pdfSha
      say(`⑥ attachment ${got.attachments[0].filename}: ${bytes.length} bytes, sha256 ${same ? 'matches the PDF moi sent' : 'DOES NOT MATCH'}`)
      if (!same) throw new Error('attachment digest mismatch')
      const evidence = await api(moi.apiUrl, 'dev-moi-key', `/api/v1/letters/${sent.id}/evidence`)
      const { verifyEvidence } = await import('../services/evidence.js')
      const report = await verifyEvidence(evidence, { anchors: moi.ctx.anchors, profiles: moi.ctx.profiles })
      say(`⑦ evidence bundle for the letter: ${report.ok ? 'verifies offline (signatures, chains, digests, receipt)' : 'FAILED: ' + JSON.stringify(report.findings.filter((f) => !f.ok))}`)
      if (!report.ok) throw new Error('evidence did not verify')
      say('demo complete ✓')
      return 0
    } finally {
      for (const n of Object.values(nodes)) await n.ctx.close()
      if (values.keep) say(`data kept in ${dataRoot}`)
      else rmSync(dataRoot, { recursive: true, force: true })
    }
  },
}
