// The CLI as an operator uses it: `send` against a running node, `verify-evidence` on the bundle,
// including a tampered bundle, which must fail with a non-zero exit naming the part.
import t from 'tap'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testNet, call, waitForRecipient, type TestNet } from '../helpers/nodes.js'
import { samplePdf } from '../../src/cli/sample-pdf.js'
import { readLayout } from '../../src/evidence/layout.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof'])
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
})
t.teardown(async () => net?.stop())

// Asynchronous: the nodes under test run in this process and must keep serving meanwhile.
const cli = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/main.ts'), ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }))
  })

t.test('send prints the id; verify-evidence accepts the bundle and refuses any tampering', async (t) => {
  const pdf = join(net.dir, 'หนังสือ.pdf')
  writeFileSync(pdf, samplePdf('cli', ['test'], 20_000))
  const sent = await cli('send', '--api', net.nodes.moi!.apiUrl!, '--key', net.nodes.moi!.apiKey, '--to', 'mof', '--subject', 'ทดสอบคำสั่ง send', '--attach', pdf, '--urgency', 'MOST_URGENT')
  t.equal(sent.status, 0, sent.stderr)
  const id = sent.stdout.trim()
  t.match(id, /^[0-9a-f-]{36}$/)
  await waitForRecipient(net.nodes.moi!, id, 'delivered')
  const letter = (await call(net.nodes.moi!, 'GET', `/api/v1/letters/${id}`)).body
  t.equal(letter.letter.urgency, 'MOST_URGENT')
  t.equal(letter.letter.attachments[0].filename, 'หนังสือ.pdf')

  const got = await call(net.nodes.moi!, 'GET', `/api/v1/letters/${id}/evidence`)
  t.equal(got.headers.get('content-type'), 'application/x-tar')
  const bundle: Buffer = got.body
  const file = join(net.dir, 'evidence.tar')
  const anchors = join(net.dir, 'root.crt.pem')
  writeFileSync(file, bundle)
  const ok = await cli('verify-evidence', file, '--anchors', anchors)
  t.equal(ok.status, 0, ok.stdout + ok.stderr)
  t.match(ok.stdout, /VERDICT: VALID/)

  // One flipped byte in a part (PROTOCOL.md §8.6); test/unit/evidence-tamper.test.ts flips them all.
  const layout = readLayout(bundle)
  const offsetOf = (path: string) => bundle.indexOf(layout.contents.get(path)!)
  const m = layout.manifest!.messages[0]!
  for (const part of [m.envelope, m.receipt!]) { // two CLI runs only: each spawn costs seconds
    const copy = Buffer.from(bundle)
    copy[offsetOf(part) + 20]! ^= 0x01
    writeFileSync(file, copy)
    const bad = await cli('verify-evidence', file, '--anchors', anchors)
    t.equal(bad.status, 1, `tampered ${part}: exit 1`)
    t.ok(bad.stdout.split('\n').some((l) => l.startsWith('✗ ') && l.includes(part)), `tampered ${part}: the failing part is named`)
    t.match(bad.stdout, /VERDICT: FAILED/)
  }
  writeFileSync(file, bundle)
  const foreign = await cli('verify-evidence', file, '--anchors', join(import.meta.dirname, '../../certs-dev/root.crt.pem'))
  t.equal(foreign.status, 1, 'a bundle does not verify against another federation root')
})

t.test('usage errors exit 2 with a message', async (t) => {
  const r = await cli('send', '--api', 'http://127.0.0.1:1')
  t.equal(r.status, 2)
  t.match(r.stderr, /--key KEY/)
  const h = await cli('verify-evidence', '--help')
  t.equal(h.status, 0)
  t.match(h.stdout, /Usage: saraban-node verify-evidence/)
  t.equal((await cli('no-such-command')).status, 2)
})
