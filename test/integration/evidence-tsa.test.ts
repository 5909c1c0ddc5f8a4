// Evidence that needs nothing but the root (issue 3 items 3–4): two real nodes with a real TSA
// exchange a letter per profile; the sender's bundle then carries RFC 3161 tokens for the letter and
// receipt signatures and the CRLs in force, and `verify-evidence --strict` accepts it: every time
// proven, every certificate covered by a CRL.
import t from 'tap'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { loadConfig } from '../../src/config/index.js'
import { createContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import { readLayout } from '../../src/evidence/layout.js'
import { call, waitFor, waitForRecipient, thaiLetter, writeNetFiles, type TestNode } from '../helpers/nodes.js'
import { testTsa, type TestTsa } from '../helpers/tsa.js'

const cli = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/main.ts'), ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }))
  })

let tsa: TestTsa
t.before(async () => {
  tsa = await testTsa()
  await tsa.start()
})
t.teardown(async () => tsa?.stop())

for (const profile of ['cms-v1', 'jose-v1']) {
  t.test(profile, async (t) => {
    const files = await writeNetFiles(['moi', 'mof'], { profiles: [profile], extra: { tsa: { url: tsa.url, timeoutMs: 2000 } } })
    const nodes: Record<string, TestNode> = {}
    for (const id of ['moi', 'mof']) {
      const { configFile, apiKey, federationPort } = files.agencies[id]!
      const ctx = await createContext(loadConfig({ file: configFile, env: {}, packageRoot: process.cwd() }), { log: createLogger('silent') })
      const apiUrl = (await ctx.listen()).apiUrl
      nodes[id] = { id, apiKey, configFile, federationPort, ctx, apiUrl, start: async () => {}, stop: async () => ctx.close() }
    }
    t.teardown(async () => {
      for (const n of Object.values(nodes)) await n.stop()
      rmSync(files.dir, { recursive: true, force: true })
    })
    const moi = nodes.moi!
    const sent = await call(moi, 'POST', '/api/v1/letters', {
      letter: thaiLetter(['mof']),
      attachments: [{ filename: 'หนังสือ.pdf', mediaType: 'application/pdf', content: Buffer.from('%PDF-1.7\nหนังสือ\n').toString('base64') }],
    })
    t.equal(sent.status, 202, JSON.stringify(sent.body))
    const done = await waitForRecipient(moi, sent.body.id, 'delivered')
    const mid = done.recipients[0].messageId
    await waitFor('letter and receipt time-stamped', () => (moi.ctx!.timestamps.tokensFor(mid).filter((x) => x.side === 'outbox').length >= 2 ? true : undefined))
      .catch((e) => { t.fail(`${(e as Error).message}: ${JSON.stringify({ tokens: moi.ctx!.timestamps.tokensFor(mid).map((x) => [x.kind, x.side]), status: moi.ctx!.timestamps.status() })}`); throw e })

    const got = await call(moi, 'GET', `/api/v1/letters/${sent.body.id}/evidence`)
    const m = readLayout(got.body).manifest!.messages[0]!
    t.equal(m.letterTimeProof, 'time-stamp')
    t.equal(m.receiptTimeProof, 'time-stamp')
    t.ok(m.crls.length >= 2, 'the CRLs of the issuing CA and the root')

    const file = join(files.dir, 'evidence.tar')
    writeFileSync(file, got.body)
    const r = await cli('verify-evidence', file, '--anchors', join(files.dir, 'root.crt.pem'), '--strict')
    t.equal(r.status, 0, r.stdout + r.stderr)
    t.match(r.stdout, /letter\.tsr: RFC 3161 time-stamp by .*Time-Stamping Authority/)
    t.notMatch(r.stdout, /weaker claim/)
  })
}
