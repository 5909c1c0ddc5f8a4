// Evidence bundle v2 (PROTOCOL.md §8): built from real sealed envelopes and receipts, read back by
// our verifier and by plain tools (tar, sha256sum), with and without RFC 3161 time-stamps.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { buildEvidenceArchive, verifyEvidence } from '../../src/services/evidence/index.js'
import { decodeManifest } from '../../src/evidence/manifest.js'
import { readLayout } from '../../src/evidence/layout.js'
import { verifyTimeStampToken } from '../../src/tsa/index.js'
import { testFederation, foreignFederation } from '../helpers/federation.js'
import { opensslTsa, sendAndAcknowledge } from './evidence-fixture.js'

const fed = await testFederation()
const profiles = defaultProfiles()
const anchors = () => new TrustAnchors([fed.root.cert])
const tsa = opensslTsa(fed)
t.teardown(() => tsa.close())
const clock = { now: () => Date.now() }
const deps = { clock, profiles, directoryJws: () => fed.directoryJws }

for (const profile of [joseV1, cmsV1]) {
  t.test(profile.id, async (t) => {
    t.test('a bundle without time-stamps verifies, and says its times are only claimed', async (t) => {
      const sent = await sendAndAcknowledge({ fed, profile, to: ['mof', 'dga'] })
      const archive = await buildEvidenceArchive(deps, sent.letter, sent.messages)
      const report = await verifyEvidence(archive, { anchors: anchors(), profiles })
      t.ok(report.ok, JSON.stringify(report.findings.filter((f) => !f.ok)))
      t.equal(report.weak.filter((w) => /own claim, not proven/.test(w)).length, 4, 'letter and receipt times of both messages are claims')
      const strict = await verifyEvidence(archive, { anchors: anchors(), profiles, strict: true })
      t.notOk(strict.ok, '--strict refuses unproven times')
    })

    t.test('with time-stamps on both signatures, every time is proven', async (t) => {
      const sent = await sendAndAcknowledge({ fed, profile })
      const archive = await buildEvidenceArchive({ ...deps, tokensFor: tsa.tokensFor(sent) }, sent.letter, sent.messages)
      const report = await verifyEvidence(archive, { anchors: anchors(), profiles, verifyTimeStampToken })
      t.ok(report.ok, JSON.stringify(report.findings.filter((f) => !f.ok)))
      t.strictSame(report.weak.filter((w) => /not proven/.test(w)), [])
      const m = readLayout(archive).manifest!
      t.equal(m.messages[0]!.letterTimeProof, 'time-stamp')
      t.equal(m.messages[0]!.receiptTimeProof, 'time-stamp')
      t.ok(report.findings.some((f) => f.ok && f.part.endsWith('/letter.tsr') && /RFC 3161 time-stamp/.test(f.detail)))

      const without = await verifyEvidence(archive, { anchors: anchors(), profiles })
      t.notOk(without.ok, 'a verifier without RFC 3161 support does not pass a bundle with tokens')
      t.ok(without.findings.some((f) => !f.ok && f.part.endsWith('/letter.tsr')))
    })

    t.test('plain tools read it: tar extracts it, sha256sum -c SHA256SUMS passes, the manifest is canonical', async (t) => {
      const sent = await sendAndAcknowledge({ fed, profile })
      const archive = await buildEvidenceArchive({ ...deps, tokensFor: tsa.tokensFor(sent) }, sent.letter, sent.messages)
      const dir = mkdtempSync(join(tmpdir(), 'evidence-x-'))
      t.teardown(() => rmSync(dir, { recursive: true, force: true }))
      writeFileSync(join(dir, 'e.tar'), archive)
      const listed = execFileSync('tar', ['tf', 'e.tar'], { cwd: dir, encoding: 'utf8' }).trim().split('\n')
      const m = readLayout(archive).manifest!
      t.strictSame(listed, ['manifest.json', ...m.parts.map((p) => p.path)], 'tar lists exactly the manifest order')
      execFileSync('tar', ['xf', 'e.tar'], { cwd: dir })
      t.match(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' }), /envelope\.(jwe|p7m): OK/)
      t.ok(decodeManifest(readFileSync(join(dir, 'manifest.json'))).ok)
      const mid = sent.messages[0]!.messageId
      const msg = m.messages[0]!
      // The time-stamp checks out with openssl alone, as README.txt says.
      const readme = readFileSync(join(dir, 'README.txt'), 'utf8')
      t.match(readme, /openssl ts -verify/)
      // Issue 21 §4: each section numbers its steps 1, 2, 3… (older bundles said 0, 1, 3, 5).
      for (const section of readme.split('\n== ').slice(1)) {
        const steps = [...section.matchAll(/^(\d+)\. /gm)].map((x) => Number(x[1]))
        t.strictSame(steps, steps.map((_, i) => i + 1), `steps numbered in order: ${section.slice(0, 40)}`)
      }
      writeFileSync(join(dir, 'root.pem'), fed.root.certPem)
      t.match(execFileSync('openssl', ['ts', '-verify', '-token_in', '-in', msg.letterTimestamp!, '-digest', msg.letterImprint, '-CAfile', 'root.pem', '-untrusted', msg.letterTsa!], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), /OK/)
      const at = String(Math.floor(Date.parse(msg.letterTime) / 1000))
      t.match(execFileSync('openssl', ['verify', '-CAfile', 'root.pem', '-untrusted', msg.letterSigner, '-attime', at, '-purpose', 'any', msg.letterSigner], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), /OK/)
      t.equal(readFileSync(join(dir, `messages/${mid}/content-key.hex`), 'utf8'), sent.messages[0]!.contentKey.toString('hex') + '\n')
    })

    t.test('a message without a receipt fails: sending is not delivery', async (t) => {
      const sent = await sendAndAcknowledge({ fed, profile, to: ['mof', 'dga'], undelivered: ['dga'] })
      const archive = await buildEvidenceArchive(deps, sent.letter, sent.messages)
      const report = await verifyEvidence(archive, { anchors: anchors(), profiles })
      t.notOk(report.ok)
      const dga = sent.messages.find((m) => m.recipientAgency === 'dga')!.messageId
      t.ok(report.findings.some((f) => !f.ok && f.part === `messages/${dga}` && /no receipt/.test(f.detail)))
    })

    t.test('against another federation root nothing verifies', async (t) => {
      const sent = await sendAndAcknowledge({ fed, profile })
      const archive = await buildEvidenceArchive(deps, sent.letter, sent.messages)
      const foreign = await foreignFederation()
      const report = await verifyEvidence(archive, { anchors: new TrustAnchors([foreign.root.cert]), profiles })
      t.notOk(report.ok)
      t.ok(report.findings.some((f) => !f.ok && f.part.startsWith('directory/')))
    })
  })
}
