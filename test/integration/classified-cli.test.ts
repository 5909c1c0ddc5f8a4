// The officer's CLI against real nodes over real mTLS (issue 12 §2–§3): the CLI and the node's REST
// API were built side by side from one contract; this test is where they must agree. moi's registrar
// and deputy seal a SECRET letter with `saraban-node classified seal` (encrypted PKCS#8 keys, two
// signers); it travels moi → mof; mof's registrar opens it with `classified open` on "their
// machine", the files come out byte for byte, and the signed `opened` acknowledgement travels back
// and shows in moi's item. mof's deputy cannot open a letter sealed to the registrar only.
import t from 'tap'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createFederation, type FederationMaterial } from '../../src/pki/dev-ca.js'
import { TEST_AGENCIES } from '../helpers/federation.js'
import { call, waitFor, writeNetFiles, type TestNode } from '../helpers/nodes.js'
import { loadConfig } from '../../src/config/index.js'
import { createContext, type AppContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import { scratchDir } from '../interop/tools.js'
import { classifiedCli, MARKER } from '../helpers/classified.js'
import { sampleLetter } from '../vectors/fixtures.js'

const OFFICERS = [
  { id: 'registrar', role: 'registrar' as const, nameTh: 'นางสาวสมใจ ใจดี', positionTh: 'นายทะเบียนข้อมูลข่าวสารลับ', keyType: 'rsa' as const },
  { id: 'deputy', role: 'deputy' as const, nameTh: 'นายสมชาย รักษ์ความลับ', positionTh: 'ผู้ช่วยนายทะเบียนข้อมูลข่าวสารลับ', keyType: 'ec' as const },
]
const fed: FederationMaterial = await createFederation({
  agencies: TEST_AGENCIES.filter((a) => a.id !== 'dga').map((a) => ({ ...a, officers: OFFICERS })),
  validityDays: 30, rootCommonName: 'Saraban TEST Root CA (officer CLI)',
})
const files = await writeNetFiles(['moi', 'mof'], { fed })
const dir = scratchDir(t)
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')
const f = (name: string, content: Buffer | string): string => (writeFileSync(join(dir, name), content, { mode: 0o600 }), join(dir, name))

const ctxs: AppContext[] = []
const nodes: Record<string, TestNode> = {}
for (const id of ['moi', 'mof']) {
  const nf = files.agencies[id]!
  const conf = JSON.parse(readFileSync(nf.configFile, 'utf8'))
  conf.api.keys = [{ name: 'officers', sha256: sha(`officer-${id}-key`), agencies: [id], scopes: ['classified'] }]
  writeFileSync(nf.configFile, JSON.stringify(conf))
  const ctx = await createContext(loadConfig({ file: nf.configFile, env: {}, packageRoot: process.cwd() }), { log: createLogger('silent') })
  const { apiUrl } = await ctx.listen()
  ctxs.push(ctx)
  nodes[id] = { id, apiKey: `officer-${id}-key`, configFile: nf.configFile, federationPort: nf.federationPort, apiUrl, start: async () => {}, stop: async () => {} }
}
t.teardown(async () => {
  for (const c of ctxs) await c.close()
  rmSync(files.dir, { recursive: true, force: true })
})

const PASS = 'ผ่าน-officer-passphrase'
f('passphrase', PASS + '\n')
/** The officer's key files as they sit on the workstation: encrypted PKCS#8 and certificate chains. */
function keyArgs(agency: string, id: string): string[] {
  const o = fed.agencies[agency]!.officers[id]!
  const enc = (k: typeof o.signing) => k.key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASS }) as string
  const n = `${agency}-${id}`
  return [
    '--key-file', f(`${n}.sign.key.pem`, enc(o.signing)), '--cert-file', f(`${n}.sign.crt.pem`, o.signing.chainPem),
    '--key-file', f(`${n}.enc.key.pem`, enc(o.encryption)), '--cert-file', f(`${n}.enc.crt.pem`, o.encryption.chainPem),
    '--passphrase-file', join(dir, 'passphrase'),
  ]
}
/** The second officer signs only: the signing key and its chain. */
function cosignArgs(agency: string, id: string): string[] {
  const [, key, , cert] = keyArgs(agency, id)
  return ['--cosign-key-file', key!, '--cosign-cert-file', cert!, '--cosign-passphrase-file', join(dir, 'passphrase')]
}
const apiArgs = (id: string) => ['--api', nodes[id]!.apiUrl!, '--api-key-file', f(`${id}.api-key`, nodes[id]!.apiKey!)]

const cli = classifiedCli

const attachment = Buffer.concat([Buffer.from(`%PDF-1.7\n% ${MARKER}\n`), Buffer.alloc(30_000, 7)])
const { attachments: _none, ...letter } = sampleLetter('moi', 'mof', [])

t.test('seal (two officers) → delivered → open as the addressed registrar → acknowledgement back at the sender', async (t) => {
  const sealed = await cli('seal', ...apiArgs('moi'), '--from', 'moi', '--to', 'mof', '--addressee', 'mof:registrar:ปลัดกระทรวงการคลัง',
    '--level', 'SECRET', '--copy', '1/1', '--letter', f('letter.json', JSON.stringify({ ...letter, body: `${MARKER} ${String(letter['body'])}` })),
    '--attach', f('ลับ.pdf', attachment), ...keyArgs('moi', 'registrar'), ...cosignArgs('moi', 'deputy'))
  t.equal(sealed.code, 0, sealed.out)

  const out = await call(nodes.moi!, 'GET', '/api/v1/classified?direction=out')
  t.equal(out.status, 200)
  const sentId = out.body.items[0].id as string
  await waitFor('delivered to mof', async () => ((await call(nodes.moi!, 'GET', `/api/v1/classified/${sentId}`)).body.messages?.[0]?.status === 'delivered' ? true : undefined))

  const inbound = await call(nodes.mof!, 'GET', '/api/v1/classified?direction=in')
  t.equal(inbound.body.items.length, 1)
  const id = inbound.body.items[0].id as string
  t.notOk(JSON.stringify(inbound.body).includes(MARKER), 'the node shows no content')

  const deputy = await cli('open', ...apiArgs('mof'), '--id', id, '--out', join(dir, 'deputy'), ...keyArgs('mof', 'deputy'), '--no-ack')
  t.equal(deputy.code, 'ERR_CLASSIFIED_NOT_FOR_YOU', 'sealed to the registrar (and moi\'s officers): the deputy cannot open it')

  const opened = await cli('open', ...apiArgs('mof'), '--id', id, '--out', join(dir, 'opened'), ...keyArgs('mof', 'registrar'))
  t.equal(opened.code, 0, opened.out)
  t.ok(readFileSync(join(dir, 'opened', 'ลับ.pdf')).equals(attachment), 'the attachment, byte for byte')
  t.match(JSON.parse(readFileSync(join(dir, 'opened', 'letter.json'), 'utf8')), { level: 'SECRET', from: 'moi', to: ['mof'], copy: { number: 1, of: 1 } })
  t.notOk(existsSync(join(dir, 'deputy', 'letter.json')), 'nothing written for the refused officer')

  await waitFor('the opened notice reached moi', async () => (((await call(nodes.moi!, 'GET', `/api/v1/classified/${sentId}`)).body.opened ?? []).length === 1 ? true : undefined))
  const item = (await call(nodes.moi!, 'GET', `/api/v1/classified/${sentId}`)).body
  t.match(item.opened[0], { agency: 'mof', officer: 'registrar', copy: { number: 1, of: 1 } })
  const access = (await call(nodes.mof!, 'GET', `/api/v1/classified/${id}/access`)).body
  const events = (access.entries ?? access.items ?? []).map((e: { event: string; outcome: string }) => `${e.event}:${e.outcome}`)
  t.ok(events.includes('download:success'), `the download is recorded (${events.join(', ')})`)
})

t.test('the officer\'s keys on a PKCS#11 token (SoftHSM2): open and acknowledge with them', async (t) => {
  const { softToken, softhsmMissing } = await import('../helpers/softhsm.js')
  const missing = softhsmMissing()
  if (missing) { t.comment(`skipped: ${missing}`); return }
  const token = softToken('mof-registrar')
  t.teardown(() => token.remove())
  const o = fed.agencies['mof']!.officers['registrar']!
  token.importKey('officer-sign', o.signing.keyPem, o.signing.cert)
  token.importKey('officer-enc', o.encryption.keyPem, o.encryption.cert)

  const sealed = await cli('seal', ...apiArgs('moi'), '--from', 'moi', '--to', 'mof', '--addressee', 'mof:registrar:ปลัดกระทรวงการคลัง',
    '--level', 'CONFIDENTIAL', '--copy', '1/1', '--letter', f('letter2.json', JSON.stringify(letter)), ...keyArgs('moi', 'registrar'))
  t.equal(sealed.code, 0, sealed.out)
  const id = await waitFor('the second letter at mof', async () => {
    const items = (await call(nodes.mof!, 'GET', '/api/v1/classified?direction=in')).body.items as { id: string; controlNumber: string }[]
    return items.find((i) => i.controlNumber.endsWith('000002'))?.id
  })
  const opened = await cli('open', ...apiArgs('mof'), '--id', id, '--out', join(dir, 'opened-token'),
    '--pkcs11-module', token.module, '--token-label', token.label, '--key-label', 'officer-sign', '--key-label', 'officer-enc', '--pin-file', f('pin', token.pin + '\n'))
  t.equal(opened.code, 0, opened.out)
  t.match(JSON.parse(readFileSync(join(dir, 'opened-token', 'letter.json'), 'utf8')), { level: 'CONFIDENTIAL', from: 'moi' })
  const acks = (await call(nodes.mof!, 'GET', `/api/v1/classified/${id}`)).body.statements.filter((s: { type: string }) => s.type === 'opened')
  t.match(acks, [{ agency: 'mof', officer: 'registrar' }], 'the acknowledgement was signed on the token and verified by the node')
})
