// An auditor without our software (issue 3 item 4, PROTOCOL.md §8.7): the commands README.txt of a
// cms-v1 bundle prints are run as written, with bash, tar, sha256sum and OpenSSL only, in the folder
// the archive was extracted to. They must all succeed on the bundle, and fail on a tampered one.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { buildEvidenceArchive } from '../../src/services/evidence/index.js'
import { readLayout } from '../../src/evidence/layout.js'
import { testFederation } from '../helpers/federation.js'
import { opensslTsa, sendAndAcknowledge, testCrl } from './evidence-fixture.js'

const fed = await testFederation()
const tsa = opensslTsa(fed)
t.teardown(() => tsa.close())

/** The command lines of README.txt: indented by two spaces, no placeholders. */
function commands(readme: string): string[] {
  return readme.split('\n').filter((l) => l.startsWith('  ') && !l.startsWith('   ') && !l.includes('<') && !l.includes('=/path/'))
    .map((l) => l.trim())
}

function runAll(dir: string, lines: string[]): Array<{ line: string; status: number | null; out: string }> {
  return lines.map((line) => {
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', line], { cwd: dir, env: { ...process.env, ROOT: join(dir, '..', 'root.pem') }, encoding: 'utf8' })
    return { line, status: r.status, out: r.stdout + r.stderr }
  })
}

for (const [signer, recipient] of [['moi', 'mof'], ['mof', 'moi']] as const) {
  t.test(`${signer} (${fed.agencies[signer]!.spec.keyType}) → ${recipient} (${fed.agencies[recipient]!.spec.keyType}): every README command succeeds`, async (t) => {
    const sent = await sendAndAcknowledge({ fed, profile: cmsV1, from: signer, to: [recipient], attachments: [Buffer.from('%PDF-1.7\nหนังสือ\n'), Buffer.alloc(70_000, 0x42)] })
    const crls = [await testCrl(fed, { by: 'intermediate' }), await testCrl(fed, { by: 'root' })]
    const archive = await buildEvidenceArchive({
      clock: { now: () => Date.now() }, profiles: defaultProfiles(), directoryJws: () => fed.directoryJws, crlsAt: () => crls, tokensFor: tsa.tokensFor(sent),
    }, sent.letter, sent.messages)
    const base = mkdtempSync(join(tmpdir(), 'evidence-audit-'))
    t.teardown(() => rmSync(base, { recursive: true, force: true }))
    const dir = join(base, 'bundle')
    writeFileSync(join(base, 'root.pem'), fed.root.certPem)
    writeFileSync(join(base, 'evidence.tar'), archive)
    spawnSync('mkdir', [dir])
    t.equal(spawnSync('tar', ['xf', join(base, 'evidence.tar')], { cwd: dir }).status, 0, 'tar xf')
    const readme = readFileSync(join(dir, 'README.txt'), 'utf8')
    const lines = commands(readme)
    t.ok(lines.some((l) => l.startsWith('openssl cms -decrypt')), 'the README decrypts with the content key')
    t.ok(lines.some((l) => l.startsWith('openssl cms -verify')), 'and verifies the signed letter and receipt')
    t.ok(lines.some((l) => l.startsWith('openssl ts -verify')), 'and the time-stamps')
    for (const r of runAll(dir, lines)) t.equal(r.status, 0, r.line, { out: r.out })
    const m = readLayout(archive).manifest!.messages[0]!
    const letterJson = JSON.parse(readFileSync(join(dir, 'letter.json'), 'utf8'))
    t.equal(letterJson.mid, m.messageId, 'openssl cms -verify printed the signed letter')
    t.equal(letterJson.letter.attachments[1].sha256, m.attachments[1]!.slice('attachments/'.length, -'.bin'.length), 'whose digests name the attachment files')

    // Tampered: one byte of the ciphertext (kept in the envelope, reused by the auditor's copy).
    const env = join(dir, m.envelope)
    const bytes = readFileSync(env)
    bytes[m.auditorTailOffset! + 60]! ^= 1
    writeFileSync(env, bytes)
    const failed = runAll(dir, lines).filter((r) => r.status !== 0).map((r) => r.line)
    t.ok(failed.some((l) => l.startsWith('sha256sum -c')), 'sha256sum -c notices', { failed })
    t.ok(failed.some((l) => l.startsWith('openssl cms -decrypt')), 'and the GCM tag check in openssl cms -decrypt fails', { failed })
  })
}
