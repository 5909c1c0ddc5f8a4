// The officer CLI (`saraban-node classified …`, classified-design.md §6) end to end against a SMALL
// FASTIFY TEST DOUBLE of the node's classified REST API (§5). The real routes are built by the node
// side at the same time and are not in this tree: after merge these tests should run against real
// nodes (test/helpers/nodes.ts). The double checks what a node must check of the officer's statements
// with the same verifyStatement the node uses, and serves what the node would serve — or, on demand,
// what a dishonest node might (a swapped inner envelope).
import t from 'tap'
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { openInner } from '../../src/classified/inner/open.js'
import { verifyStatement } from '../../src/classified/statement.js'
import { isSarabanError } from '../../src/errors.js'
import { testFederation } from '../helpers/federation.js'
import { directoryOfficers, testOfficers, type TestOfficer } from '../helpers/officers.js'
import { freePort } from '../helpers/nodes.js'
import { classifiedCli, MARKER } from '../helpers/classified.js'
import { sampleLetter } from '../vectors/fixtures.js'

const fed = await testFederation()
const officers = await testOfficers(fed)
const dirOfficers = directoryOfficers(officers)
const work = mkdtempSync(join(tmpdir(), 'saraban-classified-cli-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const f = (name: string, content?: Buffer | string): string => {
  const p = join(work, name)
  if (content !== undefined) writeFileSync(p, content, { mode: 0o600 })
  return p
}
const PASS = 'ผ่าน pass 1'
f('passphrase', PASS + '\n')
f('api-key', 'test-key\n')

/** An officer's keys as encrypted PKCS#8 PEM + certificates (what dev-certs writes). */
function pkcs8Args(o: TestOfficer): string[] {
  const name = `${o.agency}-${o.id}`
  const enc = (k: TestOfficer['signing']) => k.key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASS }) as string
  return [
    '--key-file', f(`${name}.sign.key.pem`, enc(o.signing)), '--cert-file', f(`${name}.sign.crt.pem`, o.signing.chainPem),
    '--key-file', f(`${name}.enc.key.pem`, enc(o.encryption)), '--cert-file', f(`${name}.enc.crt.pem`, o.encryption.certPem),
    '--passphrase-file', f('passphrase'),
  ]
}
/** The signing key as a PKCS#12 made by `openssl pkcs12 -export` (OpenSSL 3 default: PBES2/AES-256). */
function p12Of(o: TestOfficer): string {
  const name = `${o.agency}-${o.id}`
  const key = f(`${name}.plain.key.pem`, o.signing.keyPem)
  const out = f(`${name}.p12`)
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', f(`${name}.sign.chain.pem`, o.signing.chainPem), '-out', out, '-passout', `pass:${PASS}`])
  rmSync(key)
  return out
}

// ---- the test double --------------------------------------------------------------------------
interface Item { id: string; controlNumber: string; from: string; to: string; innerSha256: string; messageId: string; inner: Buffer; statements: string[] }
const items = new Map<string, Item>()
let swapInner: Buffer | undefined
let nextControl = 1
const app = Fastify({ bodyLimit: 50 * 1024 * 1024 })
const officersView = () => ({ agencies: dirOfficers.map((a) => ({ id: a.agency, officers: a.officers })), classifiedPolicy: { topSecretElectronic: [{ from: 'moi', to: 'mof' }] } })
app.get('/api/v1/directory', async () => officersView())
app.post('/api/v1/classified/control-numbers', async (req, reply) => reply.code(201).send({ controlNumber: `${(req.body as { agency: string }).agency}-2569-${String(nextControl++).padStart(6, '0')}` }))
app.post('/api/v1/classified', async (req, reply) => {
  const b = req.body as { from: string; to: string[]; controlNumber: string; inner: string; releases: string[] }
  const inner = Buffer.from(b.inner, 'base64')
  const innerSha256 = createHash('sha256').update(inner).digest('hex')
  try {
    for (const r of b.releases) verifyStatement(Buffer.from(r, 'base64'), dirOfficers.filter((a) => a.agency === b.from), { type: 'release', innerSha256, controlNumber: b.controlNumber })
  } catch (e) {
    return reply.code(422).send({ code: isSarabanError(e) ? e.code : 'ERR_INTERNAL', detail: (e as Error).message })
  }
  const messages = b.to.map((to) => {
    const id = `in-${items.size + 1}`
    items.set(id, { id, controlNumber: b.controlNumber, from: b.from, to, innerSha256, messageId: crypto.randomUUID(), inner, statements: [...b.releases] })
    return { to, messageId: items.get(id)!.messageId }
  })
  return reply.code(202).send({ id: `out-${items.size}`, controlNumber: b.controlNumber, innerSha256, messages })
})
const itemOf = (id: string) => items.get(id)
app.get('/api/v1/classified/:id', async (req, reply) => {
  const i = itemOf((req.params as { id: string }).id)
  if (!i) return reply.code(404).send({ code: 'ERR_NOT_FOUND' })
  const { inner: _inner, statements: _s, ...view } = i
  return view
})
app.get('/api/v1/classified/:id/inner', async (req, reply) => {
  const i = itemOf((req.params as { id: string }).id)
  if (!i) return reply.code(404).send({ code: 'ERR_NOT_FOUND' })
  return reply.type('application/cms').send(swapInner ?? i.inner)
})
const statementRoute = (type: string, field = 'statement') => async (req: { params: unknown; body: unknown }, reply: { code(n: number): { send(b: unknown): unknown } }) => {
  const i = itemOf((req.params as { id: string }).id)!
  const body = req.body as Record<string, string>
  try {
    const { statement } = verifyStatement(Buffer.from(body[field]!, 'base64'), dirOfficers.filter((a) => a.agency === i.to || a.agency === i.from), { type: type as never, controlNumber: i.controlNumber, innerSha256: i.innerSha256 })
    i.statements.push(body[field]!)
    if (type === 'forwarded') {
      const id = `in-${items.size + 1}`
      const inner = Buffer.from(body['inner']!, 'base64')
      if (createHash('sha256').update(inner).digest('hex') !== statement.newInnerSha256) return reply.code(422).send({ code: 'ERR_CLASSIFIED_MISMATCH' })
      items.set(id, { ...i, id, inner, innerSha256: statement.newInnerSha256!, statements: [] })
      return reply.code(201).send({ id })
    }
    return reply.code(type === 'opened' ? 202 : 200).send({ ok: true })
  } catch (e) {
    return reply.code(422).send({ code: isSarabanError(e) ? e.code : 'ERR_INTERNAL', detail: (e as Error).message })
  }
}
app.post('/api/v1/classified/:id/acknowledgements', statementRoute('opened'))
app.post('/api/v1/classified/:id/forward', statementRoute('forwarded'))
app.post('/api/v1/classified/:id/destroy', statementRoute('destroyed'))
app.get('/api/v1/classified/:id/access', async (req) => ({ entries: itemOf((req.params as { id: string }).id)!.statements.length }))
const port = await freePort()
await app.listen({ host: '127.0.0.1', port })
t.teardown(() => app.close())
const API = ['--api', `http://127.0.0.1:${port}`, '--api-key-file', f('api-key')]

// ---- the CLI --------------------------------------------------------------------------------------
const cli = classifiedCli

const [moiReg, moiDep] = officers['moi']!
const [mofReg, mofDep] = officers['mof']!
const attachment = Buffer.concat([Buffer.from(`%PDF-1.7\n% ${MARKER}\n`), Buffer.alloc(20_000, 9)])
const { attachments: _a, ...body } = sampleLetter('moi', 'mof', [])
f('letter.json', JSON.stringify({ ...body, body: `${MARKER} ${String(body['body'])}` }))
const att = f('เอกสารลับ.pdf', attachment)
const sealArgs = [...API, '--from', 'moi', '--to', 'mof', '--addressee', 'mof:registrar:ปลัดกระทรวงการคลัง', '--level', 'SECRET', '--copy', '1/2', '--letter', f('letter.json'), '--attach', att]

t.test('seal: SECRET needs two distinct officers', async (t) => {
  t.equal((await cli('seal', ...sealArgs, ...pkcs8Args(moiReg!))).code, 'ERR_CLASSIFIED_SIGNERS', 'one officer is refused before anything is submitted')
  t.equal(items.size, 0)
  const wrongPass = f('wrong-pass', 'nope\n')
  const r = await cli('seal', ...sealArgs, ...pkcs8Args(moiReg!).slice(0, -1), wrongPass)
  t.equal(r.code, 'ERR_OFFICER_KEY_FILE', 'a wrong passphrase: one sentence naming the file')
  t.match(r.out, /moi-registrar\.sign\.key\.pem: the passphrase does not open this key/)
})

let itemId = ''
t.test('seal with a cosigner (PKCS#12 from openssl), open as the receiving registrar, acknowledgement verified', async (t) => {
  const s = await cli('seal', ...sealArgs, ...pkcs8Args(moiReg!), '--cosign-key-file', p12Of(moiDep!), '--cosign-passphrase-file', f('passphrase'), '--out', f('inner.p7m'))
  t.equal(s.code, 0, s.out)
  t.equal(items.size, 1)
  itemId = [...items.keys()][0]!
  t.equal(items.get(itemId)!.statements.length, 2, 'two release statements, both verified by the node double')
  t.notOk(readFileSync(f('inner.p7m')).includes(Buffer.from(MARKER)), 'the inner envelope does not show the marker')
  const out = join(work, 'opened-reg')
  const o = await cli('open', ...API, '--id', itemId, '--out', out, ...pkcs8Args(mofReg!))
  t.equal(o.code, 0, o.out)
  t.strictSame(readdirSync(out).sort(), ['letter.json', 'เอกสารลับ.pdf'].sort())
  t.ok(readFileSync(join(out, 'เอกสารลับ.pdf')).equals(attachment))
  const letter = JSON.parse(readFileSync(join(out, 'letter.json'), 'utf8'))
  t.match(letter, { level: 'SECRET', from: 'moi', to: ['mof'], copy: { number: 1, of: 2 } })
  t.equal(items.get(itemId)!.statements.length, 3, 'the opened acknowledgement reached the node and verified')
  const again = await cli('open', ...API, '--id', itemId, '--out', out, ...pkcs8Args(mofReg!), '--no-ack')
  t.equal(again.code, 'CliError', 'an existing letter.json is not overwritten')
})

t.test('wrong officer, swapped inner envelope, unreachable node', async (t) => {
  const dga = officers['dga']![0]!
  t.equal((await cli('open', ...API, '--id', itemId, '--out', join(work, 'dga'), ...pkcs8Args(dga), '--no-ack')).code, 'ERR_CLASSIFIED_NOT_FOR_YOU')
  const inner = items.get(itemId)!.inner
  swapInner = Buffer.from(inner)
  swapInner[swapInner.length - 40] = swapInner[swapInner.length - 40]! ^ 1
  t.equal((await cli('open', ...API, '--id', itemId, '--out', join(work, 'swapped'), ...pkcs8Args(mofReg!), '--no-ack')).code, 'ERR_CLASSIFIED_MISMATCH', 'a node serving other bytes than the cover names')
  swapInner = undefined
  t.equal((await cli('open', '--api', 'http://127.0.0.1:1', '--api-key-file', f('api-key'), '--id', itemId, '--out', join(work, 'x'), ...pkcs8Args(mofReg!))).code, 3)
  t.equal((await cli('open', ...API, '--out', join(work, 'x'), ...pkcs8Args(mofReg!))).code, 'CliError', 'usage errors')
})

t.test('two machines: seal --sign-only, cosign, seal --signed; TOP_SECRET by the policy pair', async (t) => {
  const before = items.size
  const one = await cli('seal', ...sealArgs, ...pkcs8Args(moiReg!), '--sign-only', '--out', f('signed1.p7s'), '--control-number', 'moi-2569-000777')
  t.equal(one.code, 0, one.out)
  t.equal((await cli('cosign', '--in', f('signed1.p7s'), '--out', f('signed1b.p7s'), ...pkcs8Args(moiReg!))).code, 'CliError', 'the same officer cannot cosign')
  t.equal((await cli('cosign', '--in', f('signed1.p7s'), '--out', f('signed2.p7s'), ...pkcs8Args(moiDep!))).code, 0)
  const sub = await cli('seal', ...API, '--signed', f('signed2.p7s'), ...pkcs8Args(moiDep!))
  t.equal(sub.code, 0, sub.out)
  t.equal(items.size, before + 1)
  const ts = sealArgs.map((a) => (a === 'SECRET' ? 'TOP_SECRET' : a))
  t.equal((await cli('seal', ...ts, ...pkcs8Args(moiReg!), '--cosign-key-file', p12Of(moiDep!), '--cosign-passphrase-file', f('passphrase'))).code, 0, 'moi → mof is in classifiedPolicy')
  const toDga = ts.map((a) => (a === 'mof' ? 'dga' : a === 'mof:registrar:ปลัดกระทรวงการคลัง' ? 'dga:registrar:ผู้อำนวยการ' : a))
  t.equal((await cli('seal', ...toDga, ...pkcs8Args(moiReg!), '--cosign-key-file', p12Of(moiDep!), '--cosign-passphrase-file', f('passphrase'))).code, 'ERR_CLASSIFIED_LEVEL_REFUSED')
})

t.test('forward to the deputy (original signatures kept), destroy, access', async (t) => {
  const fw = await cli('forward', ...API, '--id', itemId, '--to-officer', 'deputy', ...pkcs8Args(mofReg!))
  t.equal(fw.code, 0, fw.out)
  const newId = JSON.parse(fw.out).id as string
  const opened = openInner(items.get(newId)!.inner, mofDep!.opener)
  t.equal(opened.signers.length, 2, 'the moi officers\' signatures travel inside the forwarded envelope')
  t.ok(opened.attachments[0]!.equals(attachment))
  const d = await cli('destroy', ...API, '--id', itemId, '--authority', 'คำสั่ง กค ที่ 12/2569', '--committee', 'นาย ก', '--committee', 'นาง ข', ...pkcs8Args(mofReg!))
  t.equal(d.code, 0, d.out)
  const a = await cli('access', ...API, '--id', itemId)
  t.equal(a.code, 0)
  t.match(JSON.parse(a.out), { entries: 5 }, 'two releases, opened, forwarded, destroyed')
})

t.test('attachment names chosen by the sender stay inside the output folder', async (t) => {
  const { safeFileNames } = await import('../../src/cli/classified/safe-names.js')
  const names = safeFileNames(['../../etc/passwd', '..', '.bashrc', 'a/b\\c.pdf', 'letter.json', 'LETTER.JSON', 'x\u0000y.txt', 'same.pdf', 'same.pdf', 'ก'.repeat(300) + '.pdf', ''])
  for (const n of names) {
    t.notOk(n.includes('/') || n.includes('\\') || n.startsWith('.') || n.includes('\u0000'), `${n.slice(0, 40)} is one plain segment`)
    t.ok(n.length <= 120)
  }
  t.equal(new Set(names.map((n) => n.toLowerCase())).size, names.length, 'unique, and never letter.json')
  t.notOk(names.map((n) => n.toLowerCase()).includes('letter.json'))
})

t.test('--anchors: officer certificates from the node must chain to the federation roots', async (t) => {
  const { foreignFederation } = await import('../helpers/federation.js')
  const foreign = await foreignFederation()
  const ours = f('anchors.pem', fed.root.certPem + fed.intermediate.certPem)
  const theirs = f('foreign.pem', foreign.root.certPem + foreign.intermediate.certPem)
  const cosign = ['--cosign-key-file', p12Of(moiDep!), '--cosign-passphrase-file', f('passphrase')]
  t.equal((await cli('seal', ...sealArgs, ...pkcs8Args(moiReg!), ...cosign, '--anchors', theirs)).code, 'ERR_RECIPIENT_CERT_INVALID', 'a recipient certificate outside the roots is not used')
  const s = await cli('seal', ...sealArgs, ...pkcs8Args(moiReg!), ...cosign, '--anchors', ours)
  t.equal(s.code, 0, s.out)
  const id = [...items.keys()].pop()!
  t.equal((await cli('open', ...API, '--id', id, '--out', join(work, 'anch-bad'), ...pkcs8Args(mofReg!), '--no-ack', '--anchors', theirs)).code, 'ERR_SIGNER_UNTRUSTED', 'signers outside the roots are refused')
  const o = await cli('open', ...API, '--id', id, '--out', join(work, 'anch-ok'), ...pkcs8Args(mofReg!), '--no-ack', '--anchors', ours)
  t.equal(o.code, 0, o.out)
})

t.test('--pkcs11-module goes through openPkcs11Key (src/crypto/keys/pkcs11.ts)', async (t) => {
  const { existsSync } = await import('node:fs')
  const built = existsSync(new URL('../../src/crypto/keys/pkcs11.ts', import.meta.url))
  f('pin', '1234\n')
  const r = await cli('open', ...API, '--id', itemId, '--out', join(work, 'p11'), '--pkcs11-module', '/nonexistent/libsofthsm2.so', '--token-label', 'officer', '--key-label', 'enc', '--pin-file', f('pin'), '--no-ack')
  if (built) t.not(r.code, 0, 'a missing module is refused (the SoftHSM2 tests of the pkcs11 work cover the token itself)')
  else t.match(r, { code: 'CliError', out: /PKCS#11 support is not built into this copy/ }, 'this copy has no PKCS#11: one clear sentence')
})
