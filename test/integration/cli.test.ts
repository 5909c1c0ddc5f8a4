// The CLI as an operator uses it: `send` against a running node, `verify-evidence` on the bundle,
// including a tampered bundle, which must fail with a non-zero exit naming the part.
import t from 'tap'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testNet, call, waitForRecipient, type TestNet } from '../helpers/nodes.js'
import { samplePdf } from '../../src/cli/sample-pdf.js'

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

  const bundle = (await call(net.nodes.moi!, 'GET', `/api/v1/letters/${id}/evidence`)).body
  const file = join(net.dir, 'evidence.json')
  const anchors = join(net.dir, 'root.crt.pem')
  writeFileSync(file, JSON.stringify(bundle))
  const ok = await cli('verify-evidence', file, '--anchors', anchors)
  t.equal(ok.status, 0, ok.stdout + ok.stderr)
  t.match(ok.stdout, /VERDICT: VALID/)

  const flip = (b64: string, at: number) => {
    const bytes = Buffer.from(b64, 'base64')
    bytes[at]! ^= 0x01
    return bytes.toString('base64')
  }
  const cases: Array<[string, (b: typeof bundle) => void, RegExp]> = [
    ['an envelope byte', (b) => { b.messages[0].envelope = flip(b.messages[0].envelope, 500) }, /✗ messages\[0\]\.envelope/],
    ['the recorded digest', (b) => { b.messages[0].envelopeSha256 = b.messages[0].envelopeSha256.replace(/^./, (c: string) => (c === '0' ? '1' : '0')) }, /✗ messages\[0\]\.envelope/],
    ['the content key', (b) => { b.messages[0].contentKey = Buffer.from(flip(Buffer.from(b.messages[0].contentKey, 'base64url').toString('base64'), 3), 'base64').toString('base64url') }, /✗ messages\[0\]\.contentKey/],
    ['the receipt signature', (b) => { const p = b.messages[0].receipt.split('.'); p[2] = flip(Buffer.from(p[2], 'base64url').toString('base64'), 5); p[2] = Buffer.from(p[2], 'base64').toString('base64url'); b.messages[0].receipt = p.join('.') }, /✗ messages\[0\]\.receipt/],
    ['the directory', (b) => { const p = b.directory.split('.'); p[1] = p[1].slice(0, 10) + (p[1][10] === 'A' ? 'B' : 'A') + p[1].slice(11); b.directory = p.join('.') }, /✗ directory/],
  ]
  for (const [what, mutate, part] of cases) {
    const copy = JSON.parse(JSON.stringify(bundle))
    mutate(copy)
    writeFileSync(file, JSON.stringify(copy))
    const bad = await cli('verify-evidence', file, '--anchors', anchors)
    t.equal(bad.status, 1, `tampered ${what}: exit 1`)
    t.match(bad.stdout, part, `tampered ${what}: the failing part is named`)
    t.match(bad.stdout, /VERDICT: FAILED/)
  }
  writeFileSync(file, JSON.stringify(bundle))
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
