// Notices carry time-stamps in evidence like letters (PROTOCOL.md §13.2, §8.5, §18.6): three real
// nodes with a real TSA; moi's letter goes to mof and dga, mof registers it (an acceptance moi
// receives), moi withdraws it from dga (a withdrawal moi sends). Both sides stamp each notice's
// signature and receipt; moi's bundle carries the tokens and CRLs, `verify-evidence --strict` accepts
// it, and a notice token swapped for another valid token (digests recomputed) fails naming that part.
import t from 'tap'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFile, spawnSync } from 'node:child_process'
import { loadConfig } from '../../src/config/index.js'
import { createContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import { readLayout } from '../../src/evidence/layout.js'
import { writeTar } from '../../src/evidence/tar.js'
import { checksumsFile, encodeManifest, MANIFEST_PATH, type Manifest } from '../../src/evidence/manifest.js'
import { auditorReadme } from '../../src/evidence/auditor-readme.js'
import { verifyEvidence } from '../../src/services/evidence/index.js'
import { verifyTimeStampToken } from '../../src/tsa/verify.js'
import { call, waitFor, waitForRecipient, thaiLetter, writeNetFiles, type TestNode } from '../helpers/nodes.js'
import { testTsa, type TestTsa } from '../helpers/tsa.js'

const cli = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/main.ts'), ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }))
  })

/** The archive with some parts' bytes replaced and every digest, README and SHA256SUMS re-made. */
function resealed(archive: Buffer, replace: ReadonlyMap<string, Buffer>): Buffer {
  const { manifest, contents } = readLayout(archive)
  const files = new Map<string, Buffer>(manifest!.parts.map((p) => [p.path, replace.get(p.path) ?? contents.get(p.path)!]))
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
  const m: Omit<Manifest, 'manifestSha256'> = { ...manifest! }
  files.set('README.txt', auditorReadme(m, m.messages, m.notices))
  const described = m.parts.filter((p) => p.path !== 'SHA256SUMS').map((p) => ({ ...p, size: files.get(p.path)!.length, sha256: sha(files.get(p.path)!) }))
  files.set('SHA256SUMS', checksumsFile(described))
  const parts = m.parts.map((p) => ({ ...p, size: files.get(p.path)!.length, sha256: sha(files.get(p.path)!) }))
  return writeTar([{ path: MANIFEST_PATH, data: encodeManifest({ ...m, parts }) }, ...parts.map((p) => ({ path: p.path, data: files.get(p.path)! }))], Math.floor(Date.parse(m.generatedAt) / 1000))
}

let tsa: TestTsa
t.before(async () => {
  tsa = await testTsa()
  await tsa.start()
})
t.teardown(async () => tsa?.stop())

for (const profile of ['cms-v1', 'jose-v1']) {
  t.test(profile, async (t) => {
    const files = await writeNetFiles(['moi', 'mof', 'dga'], { profiles: [profile], extra: { tsa: { url: tsa.url, timeoutMs: 2000 } } })
    const nodes: Record<string, TestNode> = {}
    for (const id of ['moi', 'mof', 'dga']) {
      const { configFile, apiKey, federationPort } = files.agencies[id]!
      const ctx = await createContext(loadConfig({ file: configFile, env: {}, packageRoot: process.cwd() }), { log: createLogger('silent') })
      const apiUrl = (await ctx.listen()).apiUrl
      nodes[id] = { id, apiKey, configFile, federationPort, ctx, apiUrl, start: async () => {}, stop: async () => ctx.close() }
    }
    t.teardown(async () => {
      for (const n of Object.values(nodes)) await n.stop()
      rmSync(files.dir, { recursive: true, force: true })
    })
    const { moi, mof, dga } = nodes as Record<'moi' | 'mof' | 'dga', TestNode>
    const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof', 'dga']) })
    t.equal(sent.status, 202, 'the letter is accepted for sending')
    const done = await waitForRecipient(moi, sent.body.id, 'delivered')
    const to = (a: string) => done.recipients.find((r: { agency: string }) => r.agency === a)
    const reg = await call(mof, 'POST', `/api/v1/inbox/${to('mof').messageId}/register`, {})
    t.equal(reg.status, 200, `mof registers it (${reg.body.code ?? 'ok'})`)
    const wd = await call(moi, 'POST', `/api/v1/letters/${sent.body.id}/withdraw`, { reason: 'ขอลบหนังสือเพื่อส่งใหม่', recipients: ['dga'] })
    t.equal(wd.status, 202, `moi withdraws it from dga (${wd.body.code ?? 'ok'})`)
    const view = await waitFor('acceptance received and withdrawal delivered', async () => {
      const v = (await call(moi, 'GET', `/api/v1/letters/${sent.body.id}`)).body
      const m = v.recipients.find((r: { agency: string }) => r.agency === 'mof'), d = v.recipients.find((r: { agency: string }) => r.agency === 'dga')
      return m.state === 'accepted' && d.state === 'withdrawn' && d.withdrawn.notice.status === 'delivered' ? v : undefined
    })
    const acceptance: string = reg.body.registration.notice.messageId
    const withdrawal: string = view.recipients.find((r: { agency: string }) => r.agency === 'dga').withdrawn.notice.messageId
    // PROTOCOL.md §13.2: each side stamps the notice's signature and its receipt.
    const stamped = (n: TestNode, mid: string, side: string) => waitFor(`${n.id} stamps ${mid} (${side})`, () => {
      const kinds = n.ctx!.timestamps.tokensFor(mid).filter((x) => x.side === side).map((x) => x.kind).sort()
      return kinds.join() === 'letter,receipt' ? true : undefined
    })
    await stamped(mof, acceptance, 'outbox')
    await stamped(moi, acceptance, 'inbox')
    await stamped(moi, withdrawal, 'outbox')
    await stamped(dga, withdrawal, 'inbox')
    await waitFor('moi has no stamp pending', () => (moi.ctx!.timestamps.status().pending === 0 ? true : undefined))
    // --strict also wants every recipient's inclusion proof (PROTOCOL.md §20.7), which moi fetches in the
    // background after each receipt: under load it can lag the stamps, so wait for the bundle to have no gap.
    const ev = await waitFor('the recipients\' inclusion proofs fetched', async () => {
      const r = await call(moi, 'GET', `/api/v1/letters/${sent.body.id}/evidence`)
      const m = readLayout(r.body).manifest!
      return [...m.messages, ...(m.notices ?? [])].every((x) => x.logGaps === undefined) ? r : undefined
    })
    t.equal(ev.status, 200)
    const manifest = readLayout(ev.body).manifest!
    t.equal(manifest.notices?.length, 2)
    // PROTOCOL.md §20.7: the withdrawal moi sent shows its sending and delivery in moi's log, and dga's receipt in dga's.
    t.same(manifest.notices!.find((n) => n.messageId === withdrawal)!.log?.map((p) => [p.type, p.log]), [['message.sent', 'moi'], ['message.delivered', 'moi'], ['message.received', 'dga']])
    for (const n of manifest.notices!) {
      t.equal(n.noticeTimeProof, 'time-stamp', `${n.type}: the notice signature is time-stamped`)
      t.equal(n.receiptTimeProof, 'time-stamp', `${n.type}: its receipt is time-stamped`)
      t.ok(n.noticeTimestamp && n.receiptTimestamp && n.noticeTsa && n.receiptTsa, 'with tokens and TSA chains')
      t.ok((n.crls ?? []).length >= 2, 'and the CRLs in force at their times')
    }
    const file = join(files.dir, 'evidence.tar')
    writeFileSync(file, ev.body)
    const r = await cli('verify-evidence', file, '--anchors', join(files.dir, 'root.crt.pem'), '--strict')
    t.equal(r.status, 0, 'verify-evidence --strict passes', r.status === 0 ? {} : { stdout: r.stdout, stderr: r.stderr })
    t.match(r.stdout, /notices\/[0-9a-f-]+\/notice\.tsr: RFC 3161 time-stamp by .*the notice signature existed at/)
    t.notMatch(r.stdout, /weaker claim/)

    if (profile === 'cms-v1') {
      // PROTOCOL.md §8.7: the README's commands for the notices run as written with OpenSSL.
      const dir = join(files.dir, 'bundle')
      mkdirSync(dir)
      t.equal(spawnSync('tar', ['xf', file], { cwd: dir }).status, 0, 'tar xf')
      const readme = readFileSync(join(dir, 'README.txt'), 'utf8')
      // The notices' section only: the transparency-log section after it has its own test (evidence-log-readme).
      const from = readme.indexOf('== notice ')
      const to = readme.indexOf('== transparency logs', from)
      const section = readme.slice(from, to === -1 ? undefined : to)
      const lines = section.split('\n').filter((l) => l.startsWith('  ') && !l.startsWith('   ')).map((l) => l.trim())
      t.equal(lines.filter((l) => l.startsWith('openssl ts -verify')).length, 4, 'a time-stamp check per notice signature and receipt')
      for (const line of lines) {
        const r = spawnSync('bash', ['-o', 'pipefail', '-c', line], { cwd: dir, env: { ...process.env, ROOT: join(files.dir, 'root.crt.pem') }, encoding: 'utf8' })
        t.equal(r.status, 0, line, r.status === 0 ? {} : { out: r.stdout + r.stderr })
      }
    }

    // Swap the acceptance's notice token for the letter's (a valid token, of another signature).
    const acc = manifest.notices!.find((n) => n.type === 'accepted')!
    const letterToken = readLayout(ev.body).contents.get(manifest.messages[0]!.letterTimestamp!)!
    const forged = resealed(ev.body, new Map([[acc.noticeTimestamp!, letterToken]]))
    const bad = await verifyEvidence(forged, { anchors: moi.ctx!.anchors, profiles: moi.ctx!.profiles, verifyTimeStampToken, strict: true })
    t.notOk(bad.ok)
    t.ok(bad.findings.some((f) => !f.ok && f.part === acc.noticeTimestamp && /does not verify/.test(f.detail)), 'the swapped token is named', { failing: bad.findings.filter((f) => !f.ok) })
  })
}
