// An auditor checks the log inclusion proofs of a real evidence bundle with SHA-256 alone
// (PROTOCOL.md §20.7): the checker and the commands of the bundle's README.txt, and the shell block
// of the project README ("Checking a log inclusion proof by hand"), run verbatim with bash, tar,
// openssl and python3's standard library. They pass on the bundle and fail on an altered proof.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { buildEvidenceArchive } from '../../src/services/evidence/index.js'
import { leafHash } from '../../src/tlog/index.js'
import { testFederation } from '../helpers/federation.js'
import { sendAndAcknowledge } from './evidence-fixture.js'
import { RecipientLogs, senderLogFor } from './evidence-log-fixture.js'
import type { LogProofInput } from '../../src/services/evidence/log-parts.js'

const fed = await testFederation()
const deps = { clock: { now: () => Date.now() }, profiles: defaultProfiles(), directoryJws: () => fed.directoryJws }
const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')

/** The fenced sh blocks of one README section. */
function blocks(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`)
  if (start === -1) return []
  const rest = markdown.slice(start + heading.length + 2)
  const section = rest.slice(0, rest.search(/\n#{2,3} /) === -1 ? undefined : rest.search(/\n#{2,3} /))
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!)
}

async function bundle(edit?: (p: LogProofInput[]) => LogProofInput[]) {
  const recipients = new RecipientLogs(fed)
  const sent = await sendAndAcknowledge({ fed, profile: joseV1, to: ['mof', 'dga'], receiptLog: recipients.receiptLog })
  const { logFor } = senderLogFor(fed, sent.messages, { recipients, ...(edit ? { edit: (_m: unknown, p: LogProofInput[]) => edit(p) } : {}) })
  return buildEvidenceArchive({ ...deps, logFor }, sent.letter, sent.messages)
}

function workdir(t: { teardown: (fn: () => void) => void }, archive: Buffer): string {
  const base = mkdtempSync(join(tmpdir(), 'evidence-log-audit-'))
  t.teardown(() => rmSync(base, { recursive: true, force: true }))
  writeFileSync(join(base, 'evidence.tar'), archive)
  return base
}
const bash = (cwd: string, script: string) => spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, encoding: 'utf8' })
const flipProof = (p: LogProofInput[]) => p.map((x) => (x.type === 'message.delivered' ? { ...x, proof: [leafHash(Buffer.from('not the sibling')), ...x.proof.slice(1)] } : x))

t.test('README.txt: the checker script and one command per proof', async (t) => {
  for (const [name, archive, good] of [['the bundle', await bundle(), true], ['an altered delivered proof', await bundle(flipProof), false]] as const) {
    const base = workdir(t, archive)
    const dir = join(base, 'bundle')
    mkdirSync(dir)
    t.equal(spawnSync('tar', ['xf', join(base, 'evidence.tar')], { cwd: dir }).status, 0, 'tar xf')
    const readme = readFileSync(join(dir, 'README.txt'), 'utf8')
    const script = readme.slice(readme.indexOf("cat > log-inclusion.py <<'EOF'\n"), readme.indexOf('\nEOF\n') + 5)
    t.equal(bash(dir, script).status, 0, `${name}: the checker is saved`)
    const lines = readme.slice(readme.indexOf('== transparency logs')).split('\n').filter((l) => l.startsWith('  python3 log-inclusion.py ') || l.startsWith('  { printf'))
    t.equal(lines.filter((l) => l.includes('log-inclusion.py')).length, 6, `${name}: three proofs per message`)
    for (const line of lines) {
      const r = bash(dir, line.trim())
      const expectOk = good || !line.includes('message.delivered.proof')
      t.equal(r.status === 0, expectOk, `${name}: ${line.trim()}`, { out: r.stdout + r.stderr })
      if (line.includes('log-inclusion.py')) t.match(r.stdout, expectOk ? /^OK / : /^FAILED /)
      else t.match(r.stdout, new RegExp(leafHashOf(dir, line)))
    }
  }
})

t.test('README.md "Checking a log inclusion proof by hand": the block runs verbatim', async (t) => {
  const found = blocks(README, '### Checking a log inclusion proof by hand')
  t.equal(found.length, 1, 'one shell block')
  for (const [name, archive, good] of [['the bundle', await bundle(), true], ['an altered delivered proof', await bundle(flipProof), false]] as const) {
    const base = workdir(t, archive)
    const r = bash(base, found[0]!)
    t.equal(r.status, 0, `${name}: runs`, { out: r.stderr })
    const out = r.stdout.split('\n')
    t.equal(out.filter((l) => /^[0-9a-f]{64}$|SHA2-256\(stdin\)= [0-9a-f]{64}|= [0-9a-f]{64}$/.test(l)).length, 6, `${name}: six leaf hashes printed by openssl`)
    t.equal(out.filter((l) => l.startsWith('OK ')).length, good ? 6 : 4, `${name}: proofs that check`)
    t.equal(out.filter((l) => l.startsWith('FAILED')).length, good ? 0 : 2, `${name}: proofs that fail`)
  }
})

/** The leaf hash our implementation gives the entry a README line names. */
function leafHashOf(dir: string, line: string): string {
  const path = /cat (\S+);/.exec(line)![1]!
  return leafHash(readFileSync(join(dir, path))).toString('hex')
}
