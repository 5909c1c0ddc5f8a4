// Classified letters end to end over real mTLS nodes (PROTOCOL.md §19, issue 12 "How it is proven").
// The inner envelopes and the officers' statements are made with the `openssl cms` CLI, an independent
// implementation, never with this project's code: moi's registrar seals a letter whose body and
// attachment carry a marker to mof's registrar; after delivery, opening (openssl decrypts, the
// acknowledgement comes back), forwarding and destruction, the marker and the attachment bytes are in
// no file under either node's data directory (database, WAL, log file) and in no API answer; after
// destruction not even a run of the inner envelope's bytes is left. A key without the classified
// scope gets 404 everywhere; swapped inner envelopes and releases by non-officers are refused.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createFederation, type FederationMaterial } from '../../src/pki/dev-ca.js'
import { TEST_AGENCIES } from '../helpers/federation.js'
import { call, federationPost, waitFor, writeNetFiles, type TestNode } from '../helpers/nodes.js'
import { loadConfig } from '../../src/config/index.js'
import { createContext, type AppContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { run, scratchDir } from '../interop/tools.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { verifyEvidence } from '../../src/services/evidence/index.js'
import { verifyLog } from '../../src/services/log/verify.js'
import { LogStore } from '../../src/storage/log.js'
import { storedReceiptClaims } from '../../src/services/log/receipt-claims.js'
import { engine, sqliteOnly } from '../helpers/engine.js'

const OPENSSL = 'openssl'
const MARKER = 'MARKER-ลับมาก-7f3a9c41-phrase'
const ATTACHMENT = Buffer.concat([Buffer.from('%PDF-1.7 attachment '), Buffer.from(MARKER), randomBytes(4096)])
const OFFICERS = [
  { id: 'registrar', role: 'registrar' as const, nameTh: 'นางสาวสมใจ ใจดี', positionTh: 'นายทะเบียนข้อมูลข่าวสารลับ', keyType: 'rsa' as const },
  { id: 'deputy', role: 'deputy' as const, nameTh: 'นายสมชาย รักษ์ความลับ', positionTh: 'ผู้ช่วยนายทะเบียนข้อมูลข่าวสารลับ', keyType: 'ec' as const },
]

const fed: FederationMaterial = await createFederation({
  agencies: TEST_AGENCIES.filter((a) => a.id !== 'dga').map((a) => ({ ...a, officers: OFFICERS })),
  validityDays: 30, rootCommonName: 'Saraban TEST Root CA (classified)',
})
const files = await writeNetFiles(['moi', 'mof'], { fed })
const dir = scratchDir(t)
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

// Officer and agency key material as PEM files for openssl.
const pem = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name))
const root = pem('root.pem', fed.root.certPem + fed.intermediate.certPem) // openssl's trust store: the root and its issuing CA
const officer = (agency: string, id: string, role: 'signing' | 'encryption') => {
  const m = fed.agencies[agency]!.officers[id]![role]
  return { cert: pem(`${agency}-${id}-${role}.crt`, m.certPem), key: pem(`${agency}-${id}-${role}.key`, m.keyPem) }
}

/** An officer statement: CMS SignedData, id-data, attached JSON (PROTOCOL.md §19.4), made by openssl. */
function statement(signer: { cert: string; key: string }, json: Record<string, unknown>): string {
  const input = pem(`stmt-${randomBytes(4).toString('hex')}.json`, JSON.stringify({ v: 1, at: new Date().toISOString(), ...json }))
  return run(OPENSSL, ['cms', '-sign', '-binary', '-nodetach', '-in', input, '-signer', signer.cert, '-inkey', signer.key, '-outform', 'DER']).toString('base64')
}

/** The inner envelope (§19.2): signed by the officer, then AES-256-GCM to RSA officers with OAEP-SHA-256. */
function seal(content: Buffer, signer: { cert: string; key: string }, recipients: string[]): Buffer {
  const c = pem(`content-${randomBytes(4).toString('hex')}.bin`, content.toString('latin1'))
  writeFileSync(c, content)
  const signed = join(dir, `signed-${randomBytes(4).toString('hex')}.der`)
  run(OPENSSL, ['cms', '-sign', '-binary', '-nodetach', '-in', c, '-signer', signer.cert, '-inkey', signer.key, '-outform', 'DER', '-out', signed])
  const recips = recipients.flatMap((r) => ['-recip', r, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256'])
  return run(OPENSSL, ['cms', '-encrypt', '-binary', '-aes-256-gcm', '-in', signed, '-outform', 'DER', ...recips])
}

// Nodes with a scoped and an unscoped key each, and a log file in the data directory.
const keys = { scoped: (id: string) => `officer-${id}-key`, plain: (id: string) => `plain-${id}-key` }
const ctxs: Record<string, AppContext> = {}
const nodes: Record<string, TestNode> = {}
const dataDirs: Record<string, string> = {}
for (const id of ['moi', 'mof']) {
  const f = files.agencies[id]!
  const conf = JSON.parse(readFileSync(f.configFile, 'utf8'))
  conf.api.keys = [
    { name: 'officers', sha256: sha(Buffer.from(keys.scoped(id))), agencies: [id], scopes: ['classified'] },
    { name: 'saraban', sha256: sha(Buffer.from(keys.plain(id))), agencies: [id] },
  ]
  conf.log = { level: 'debug' }
  writeFileSync(f.configFile, JSON.stringify(conf))
  const config = loadConfig({ file: f.configFile, env: {}, packageRoot: process.cwd() })
  dataDirs[id] = config.dataDir
  const ctx = await createContext(config, { log: createLogger('debug', createWriteStream(join(config.dataDir, '..', `${id}-node.log`))) })
  const { apiUrl } = await ctx.listen()
  ctxs[id] = ctx
  nodes[id] = { id, apiKey: keys.scoped(id), configFile: f.configFile, federationPort: f.federationPort, apiUrl, start: async () => {}, stop: async () => {} }
}
const plain = (id: string): TestNode => ({ ...nodes[id]!, apiKey: keys.plain(id) })
t.teardown(async () => {
  for (const c of Object.values(ctxs)) await c.close()
  if (t.passing()) rmSync(files.dir, { recursive: true, force: true })
  else t.comment(`node folders and logs kept in ${files.dir}`)
})

const answers: string[] = [] // every API answer, to grep for the marker
const api = async (node: TestNode, method: string, path: string, body?: unknown) => {
  const r = await call(node, method, path, body)
  answers.push(Buffer.isBuffer(r.body) ? r.body.toString('latin1') : JSON.stringify(r.body))
  return r
}

/** Every file under the node folders (database, WAL, SHM, log) that holds `needle`. */
function filesHolding(needle: Buffer): string[] {
  const hits: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e)
      if (statSync(p).isDirectory()) walk(p)
      else if (readFileSync(p).includes(needle)) hits.push(p)
    }
  }
  for (const id of ['moi', 'mof']) walk(join(dataDirs[id]!, '..'))
  return hits
}

const moiReg = officer('moi', 'registrar', 'signing')
const mofRegEnc = officer('mof', 'registrar', 'encryption')
const moiRegEnc = officer('moi', 'registrar', 'encryption')
const mofReg = officer('mof', 'registrar', 'signing')
const letterJson = { v: 1, controlNumber: '', from: 'moi', to: ['mof'], level: 'SECRET', copy: { number: 1, of: 2 }, body: `ด้วย ${MARKER} จึงเรียนมาเพื่อทราบ` }

t.test('a SECRET letter: sealed with openssl, delivered, opened, acknowledged, forwarded, destroyed; nothing readable left', async (t) => {
  const cn = await api(nodes.moi!, 'POST', '/api/v1/classified/control-numbers', { agency: 'moi' })
  t.equal(cn.status, 201)
  const controlNumber = cn.body.controlNumber as string
  t.match(controlNumber, /^moi-25\d\d-000001$/)
  const content = Buffer.concat([Buffer.from(JSON.stringify({ ...letterJson, controlNumber })), Buffer.from([0x0a]), ATTACHMENT])
  const inner = seal(content, moiReg, [mofRegEnc.cert, moiRegEnc.cert])
  const innerSha256 = sha(inner)
  const release = statement(moiReg, { type: 'release', agency: 'moi', officer: 'registrar', controlNumber, innerSha256 })
  const second = statement(officer('moi', 'deputy', 'signing'), { type: 'release', agency: 'moi', officer: 'deputy', controlNumber, innerSha256 })

  // Refused: a release over other bytes (a swapped inner at submission), and by a non-officer.
  const other = seal(content, moiReg, [mofRegEnc.cert])
  const swapped = await api(nodes.moi!, 'POST', '/api/v1/classified', { from: 'moi', to: ['mof'], controlNumber, addressees: [{ agency: 'mof', officer: 'registrar' }], inner: other.toString('base64'), releases: [release] })
  t.equal(swapped.body.code, 'ERR_STATEMENT_INVALID', 'a release names other inner bytes: refused')
  const agencyKey = { cert: pem('moi-signing.crt', fed.agencies.moi!.signing.certPem), key: pem('moi-signing.key', fed.agencies.moi!.signing.keyPem) }
  const byAgency = statement(agencyKey, { type: 'release', agency: 'moi', officer: 'registrar', controlNumber, innerSha256 })
  const nonOfficer = await api(nodes.moi!, 'POST', '/api/v1/classified', { from: 'moi', to: ['mof'], controlNumber, addressees: [{ agency: 'mof', officer: 'registrar' }], inner: inner.toString('base64'), releases: [byAgency] })
  t.equal(nonOfficer.status, 403)
  t.equal(nonOfficer.body.code, 'ERR_OFFICER_UNTRUSTED', 'a release signed with the agency key, not an officer key: refused')
  const foreignOfficer = statement(mofReg, { type: 'release', agency: 'moi', officer: 'registrar', controlNumber, innerSha256 })
  t.equal((await api(nodes.moi!, 'POST', '/api/v1/classified', { from: 'moi', to: ['mof'], controlNumber, addressees: [{ agency: 'mof', officer: 'registrar' }], inner: inner.toString('base64'), releases: [foreignOfficer] })).body.code, 'ERR_OFFICER_UNTRUSTED', "another agency's officer cannot release")
  t.equal((await api(nodes.moi!, 'POST', '/api/v1/classified', { from: 'moi', to: ['mof'], controlNumber, addressees: [{ agency: 'mof', officer: 'nobody' }], inner: inner.toString('base64'), releases: [release] })).body.code, 'ERR_OFFICER_UNKNOWN')

  const sent = await api(nodes.moi!, 'POST', '/api/v1/classified', {
    from: 'moi', to: ['mof'], controlNumber, addressees: [{ agency: 'mof', officer: 'registrar' }], urgency: 'URGENT', inner: inner.toString('base64'), releases: [release, second],
  })
  t.equal(sent.status, 202, JSON.stringify(sent.body))
  t.equal(sent.body.innerSha256, innerSha256)
  const outId = sent.body.id as string

  const received = await waitFor('mof has the item', async () => {
    const l = await api(nodes.mof!, 'GET', '/api/v1/classified?direction=in')
    return l.body.items?.[0]
  })
  t.equal(received.controlNumber, controlNumber)
  t.same(received.register, { book: 'classified', direction: 'receive', year: received.register.year, number: 1 })
  t.notOk(JSON.stringify(received).includes('SECRET'), 'the level is not visible outside')
  const inId = received.id as string
  await waitFor('moi sees the delivery', async () => (await api(nodes.moi!, 'GET', `/api/v1/classified/${outId}`)).body.messages?.[0]?.status === 'delivered' || undefined)

  // The officer downloads and opens it with openssl; the node never could.
  const dl = await api(nodes.mof!, 'GET', `/api/v1/classified/${inId}/inner`)
  t.equal(dl.status, 200)
  t.ok(Buffer.compare(dl.body, inner) === 0, 'the inner envelope arrives byte for byte')
  const innerFile = join(dir, 'downloaded.p7m')
  writeFileSync(innerFile, dl.body)
  const signedOut = join(dir, 'opened-signed.der')
  run(OPENSSL, ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', innerFile, '-recip', mofRegEnc.cert, '-inkey', mofRegEnc.key, '-out', signedOut])
  const opened = run(OPENSSL, ['cms', '-verify', '-binary', '-inform', 'DER', '-in', signedOut, '-CAfile', root])
  t.ok(opened.equals(content), 'openssl decrypts and verifies the letter and attachment')
  const wrong = officer('mof', 'deputy', 'encryption')
  t.throws(() => run(OPENSSL, ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', innerFile, '-recip', wrong.cert, '-inkey', wrong.key]), 'a wrong officer key cannot open it')

  const messageId = (await api(nodes.mof!, 'GET', `/api/v1/classified/${inId}`)).body.messages[0].messageId
  const badAck = statement(mofReg, { type: 'opened', agency: 'mof', officer: 'registrar', controlNumber, innerSha256: sha(other), copy: { number: 1, of: 2 }, messageId })
  t.equal((await api(nodes.mof!, 'POST', `/api/v1/classified/${inId}/acknowledgements`, { statement: badAck })).body.code, 'ERR_STATEMENT_INVALID', 'an acknowledgement over other bytes is refused')
  const ack = statement(mofReg, { type: 'opened', agency: 'mof', officer: 'registrar', controlNumber, innerSha256, copy: { number: 1, of: 2 }, messageId })
  t.equal((await api(nodes.mof!, 'POST', `/api/v1/classified/${inId}/acknowledgements`, { statement: ack })).status, 202)
  const status = await waitFor('moi shows who opened it', async () => {
    const r = await api(nodes.moi!, 'GET', `/api/v1/classified/${outId}`)
    return r.body.opened?.length ? r.body : undefined
  })
  t.match(status.opened[0], { agency: 'mof', officer: 'registrar', copy: { number: 1, of: 2 } })

  // Evidence (§19.10): delivery of the sealed bytes and the acknowledgement, with the access record,
  // and no key that opens the inner envelope; verify-evidence checks it offline.
  const ev = await api(nodes.moi!, 'GET', `/api/v1/classified/${outId}/evidence`)
  t.equal(ev.status, 200)
  const evText = JSON.stringify(ev.body)
  t.notOk(evText.includes('PRIVATE KEY') || evText.includes(MARKER), 'no private key and no plaintext in the evidence')
  t.ok(ev.body.messages[0].contentKey, 'the outer content key (opens only the outer layer) is there')
  const anchors = new TrustAnchors([fed.root.cert])
  const checked = await verifyEvidence(Buffer.from(evText), { anchors, profiles: defaultProfiles() })
  t.ok(checked.ok, checked.findings.filter((f) => !f.ok).map((f) => `${f.part}: ${f.detail}`).join('; ') || 'verify-evidence passes')
  t.ok(checked.findings.some((f) => f.part.startsWith('statements/') && f.detail.startsWith('opened by mof:registrar')), 'the acknowledgement is checked')
  // PROTOCOL.md §6.2, §19.10, §20.7: the outer envelope's receipt carries mof's checkpoint, and the
  // evidence carries mof's inclusion proof of its entry (once fetched; a gap before, a weaker claim).
  t.ok(storedReceiptClaims(ev.body.messages[0].receipt).log, 'the classified receipt carries the receiver\'s log checkpoint')
  t.ok(ev.body.messages[0].log || ev.body.messages[0].logGap, 'the message lists its log proof or gap')
  const withLog = await waitFor('mof\'s proof in the evidence', async () => {
    const again = await api(nodes.moi!, 'GET', `/api/v1/classified/${outId}/evidence`)
    return again.body.messages[0].log ? again.body : undefined
  })
  const logged = await verifyEvidence(Buffer.from(JSON.stringify(withLog)), { anchors: new TrustAnchors([fed.root.cert]), profiles: defaultProfiles() })
  t.ok(logged.ok && logged.findings.some((f) => f.part.endsWith('/log') && f.ok && /is entry \d+ of the log of "mof"/.test(f.detail)), 'mof\'s inclusion proof verifies')
  const stripped = structuredClone(withLog)
  delete stripped.messages[0].log
  const loose = await verifyEvidence(Buffer.from(JSON.stringify(stripped)), { anchors: new TrustAnchors([fed.root.cert]), profiles: defaultProfiles() })
  t.ok(loose.ok && loose.weak.some((w) => /stripped/.test(w)), 'stripped log members: a weaker claim')
  t.notOk((await verifyEvidence(Buffer.from(JSON.stringify(stripped)), { anchors: new TrustAnchors([fed.root.cert]), profiles: defaultProfiles(), strict: true })).ok, 'strict refuses them')
  const badProof = structuredClone(withLog)
  badProof.messages[0].log.index += 1
  t.notOk((await verifyEvidence(Buffer.from(JSON.stringify(badProof)), { anchors: new TrustAnchors([fed.root.cert]), profiles: defaultProfiles() })).ok, 'another index fails')
  const tampered = structuredClone(ev.body)
  tampered.innerSha256 = sha(other)
  t.notOk((await verifyEvidence(Buffer.from(JSON.stringify(tampered)), { anchors: new TrustAnchors([fed.root.cert]), profiles: defaultProfiles() })).ok, 'another inner digest fails the check')

  // Forwarding inside mof: a new inner envelope, the forwarded statement.
  const reInner = seal(content, mofReg, [mofRegEnc.cert])
  const fwd = statement(mofReg, { type: 'forwarded', agency: 'mof', officer: 'registrar', controlNumber, innerSha256, toOfficer: 'deputy', newInnerSha256: sha(reInner) })
  const forwarded = await api(nodes.mof!, 'POST', `/api/v1/classified/${inId}/forward`, { inner: reInner.toString('base64'), statement: fwd, toOfficer: 'deputy' })
  t.equal(forwarded.status, 201)

  // Before destruction a run of the inner bytes is on disk (the grep works); afterwards, none.
  const run64 = inner.subarray(inner.length - 200, inner.length - 136)
  // §19.9's overwrite is SQLite's secure_delete; PostgreSQL keeps a deleted row's bytes in its pages
  // until VACUUM reuses them (PROTOCOL.md implementation notes): the node's data folder holds none there.
  const onDisk = engine === 'sqlite'
  if (onDisk) t.ok(filesHolding(run64).length > 0, 'the inner bytes are held before destruction')
  const destroyed = (agency: 'moi' | 'mof', id: string, sha256: string) => {
    const o = officer(agency, 'registrar', 'signing')
    return statement(o, { type: 'destroyed', agency, officer: 'registrar', controlNumber, innerSha256: sha256, authority: 'คำสั่ง ที่ 12/2569', committee: ['นาย ก', 'นาง ข'] })
  }
  const second2 = statement(officer('mof', 'deputy', 'signing'), { type: 'destroyed', agency: 'mof', officer: 'deputy', controlNumber, innerSha256, authority: 'คำสั่ง ที่ 12/2569', committee: ['นาย ก', 'นาง ข'] })
  const d1 = await api(nodes.mof!, 'POST', `/api/v1/classified/${inId}/destroy`, { statement: destroyed('mof', inId, innerSha256), secondStatement: second2 })
  t.equal(d1.status, 200, JSON.stringify(d1.body))
  t.equal((await api(nodes.mof!, 'POST', `/api/v1/classified/${forwarded.body.id}/destroy`, { statement: destroyed('mof', forwarded.body.id, sha(reInner)) })).status, 200)
  t.equal((await api(nodes.moi!, 'POST', `/api/v1/classified/${outId}/destroy`, { statement: destroyed('moi', outId, innerSha256) })).status, 200)
  t.equal((await api(nodes.mof!, 'GET', `/api/v1/classified/${inId}/inner`)).body.code, 'ERR_CLASSIFIED_DESTROYED')
  const after = await api(nodes.mof!, 'GET', `/api/v1/classified/${inId}`)
  t.ok(after.body.destroyedAt, 'the register entry stays, marked destroyed')
  if (onDisk) {
    t.same(filesHolding(run64), [], 'no run of the inner bytes is left in any file, WAL or log')
    t.same(filesHolding(reInner.subarray(100, 164)), [], 'nor of the forwarded inner envelope')
    t.same(filesHolding(Buffer.from(MARKER)), [], 'the marker phrase is in no file of either node')
    t.same(filesHolding(ATTACHMENT.subarray(200, 264)), [], 'the attachment bytes are in no file of either node')
  }

  // The access record: every act, with the rule applied, as canonical JSON records.
  const out = await api(nodes.moi!, 'GET', `/api/v1/classified/${outId}/access`)
  const events = out.body.entries.map((e: { event: string; outcome: string }) => `${e.event}:${e.outcome}`)
  for (const e of ['submission:success', 'delivery:success', 'opened-notice:success', 'destruction:success']) t.ok(events.includes(e), e)
  const sub = out.body.entries.find((e: { event: string; outcome: string }) => e.event === 'submission' && e.outcome === 'success')
  t.match(sub, { rule: 'release-by-sending-officer', officer: { agency: 'moi', officer: 'registrar', role: 'registrar' }, secondApprover: { officer: 'deputy' }, apiKey: 'officers' })
  const inAcc = await api(nodes.mof!, 'GET', `/api/v1/classified/${inId}/access`)
  const inEvents = inAcc.body.entries.map((e: { event: string; outcome: string }) => `${e.event}:${e.outcome}`)
  for (const e of ['receipt:success', 'download:success', 'acknowledgement:refused', 'acknowledgement:success', 'forwarding:success', 'destruction:success', 'download:refused']) t.ok(inEvents.includes(e), e)
  const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10)
  const csv = await api(nodes.mof!, 'GET', `/api/v1/classified/inspection-report?from=${today}&to=${today}&format=csv`)
  t.equal(csv.status, 200)
  t.ok(csv.body.toString('utf8').includes(controlNumber), 'the inspection report lists the item')
  const pdf = await api(nodes.mof!, 'GET', `/api/v1/classified/inspection-report?from=${today}&to=${today}&format=pdf`)
  t.equal(pdf.body.subarray(0, 5).toString(), '%PDF-')
  // Refused submissions name no item: they are in the agency's report, with the rule that refused them.
  const report = await api(nodes.moi!, 'GET', `/api/v1/classified/inspection-report?from=${today}&to=${today}&format=json`)
  const refusals = report.body.filter((e: { event: string; outcome: string }) => e.event === 'submission' && e.outcome === 'refused')
  t.same(refusals.map((e: { rule: string; code: string }) => `${e.rule}:${e.code}`),
    ['release-by-sending-officer:ERR_STATEMENT_INVALID', 'release-by-sending-officer:ERR_OFFICER_UNTRUSTED', 'release-by-sending-officer:ERR_OFFICER_UNTRUSTED', 'addressee-officer-listed:ERR_OFFICER_UNKNOWN'])
  t.ok(report.body.every((e: { recordSha256: string; seq: number }) => /^[0-9a-f]{64}$/.test(e.recordSha256)), 'each entry is a hashed canonical record')

  // Without the scope the item does not exist: 404 on every route, absent from lists and events.
  for (const [node, id] of [['moi', outId], ['mof', inId]] as const) {
    for (const path of [`/api/v1/classified/${id}`, `/api/v1/classified/${id}/inner`, `/api/v1/classified/${id}/access`, '/api/v1/classified']) {
      t.equal((await api(plain(node), 'GET', path)).status, 404, `${node} ${path} without scope`)
    }
    t.equal((await api(plain(node), 'POST', `/api/v1/classified/${id}/acknowledgements`, { statement: ack })).status, 404)
    const lists = [await api(plain(node), 'GET', '/api/v1/letters'), await api(plain(node), 'GET', '/api/v1/inbox'), await call(plain(node), 'GET', '/api/v1/events', undefined, { accept: 'application/json' })]
    for (const l of lists) t.notOk(JSON.stringify(l.body).includes(controlNumber) || JSON.stringify(l.body).includes(id), `${node}: absent from ${JSON.stringify(l.body).slice(0, 40)}`)
  }
  t.notOk(answers.some((a) => a.includes(MARKER)), 'no API answer carries the marker phrase')
})

t.test('an outer envelope whose inner envelope was swapped is refused at receive', async (t) => {
  const a = fed.agencies.moi!
  const inner = randomBytes(600)
  const swappedIn = randomBytes(600)
  const cover = { controlNumber: 'moi-2569-000999', addressee: { officer: 'registrar' }, urgency: 'NORMAL', dispatch: 'electronic', attachments: [{ id: 'inner', mediaType: 'application/cms', size: 600, sha256: sha(inner) }] }
  const messageId = crypto.randomUUID()
  const sealed = await joseV1.seal({
    messageId, from: 'moi', to: 'mof', sentAt: new Date().toISOString(), letter: {}, attachments: [swappedIn], classified: cover,
    signer: { agency: 'moi', key: a.signing.key, chain: a.signing.chain }, recipientCert: fed.agencies.mof!.encryption.cert,
  })
  const r = await federationPost(nodes.mof!.federationPort, { key: a.tls.keyPem, cert: a.tls.chainPem, ca: fed.root.certPem, body: sealed.envelope, routing: { messageId, from: 'moi', to: 'mof' } })
  t.equal(r.status, 400)
  t.equal(JSON.parse(r.body.toString()).code, 'ERR_ATTACHMENT_DIGEST_MISMATCH')
})

t.test('per level: no classified plaintext on the letters API', async (t) => {
  const letter = { kind: 'EXTERNAL', number: 'มท 1/1', date: '2026-11-25', subject: 'ทดสอบ', salutation: 'เรียน', recipients: [{ agency: 'mof' }], body: 'x', closing: 'ขอแสดงความนับถือ', signer: { name: 'ก', position: 'ข' } }
  const secret = await api(plain('moi'), 'POST', '/api/v1/letters', { letter: { ...letter, secrecy: 'SECRET' } })
  t.equal(secret.status, 422)
  t.match(secret.body, { code: 'ERR_CLASSIFIED_PLAINTEXT', field: '/letter/secrecy' })
  const top = await api(plain('moi'), 'POST', '/api/v1/letters', { letter: { ...letter, secrecy: 'TOP_SECRET' } })
  t.match(top.body, { code: 'ERR_TOP_SECRET_NOT_ELECTRONIC', field: '/letter/secrecy' })
})

t.test('TOP_SECRET by hand: metadata in both registers, the received-by-hand statement comes back', async (t) => {
  const r = await api(nodes.moi!, 'POST', '/api/v1/classified/by-hand', { from: 'moi', to: 'mof', addressee: { agency: 'mof', officer: 'registrar' }, urgency: 'MOST_URGENT' })
  t.equal(r.status, 202, JSON.stringify(r.body))
  const item = await waitFor('mof registers the by-hand item', async () => {
    const l = await api(nodes.mof!, 'GET', '/api/v1/classified?direction=in')
    return l.body.items?.find((i: { controlNumber: string }) => i.controlNumber === r.body.controlNumber)
  })
  t.equal(item.dispatch, 'by-hand')
  t.notOk(item.inner, 'no inner envelope')
  const st = statement(mofReg, { type: 'received-by-hand', agency: 'mof', officer: 'registrar', controlNumber: r.body.controlNumber, messageId: r.body.messageId, copy: { number: 1, of: 1 } })
  t.equal((await api(nodes.mof!, 'POST', `/api/v1/classified/${item.id}/acknowledgements`, { statement: st })).status, 202)
  const back = await waitFor('moi shows the received-by-hand statement', async () => {
    const s = await api(nodes.moi!, 'GET', `/api/v1/classified/${r.body.id}`)
    return s.body.statements?.find((x: { type: string }) => x.type === 'received-by-hand')
  })
  t.match(back, { agency: 'mof', officer: 'registrar', received: true })
})

t.test('the transparency log covers the classified path: both logs verify against their rows (PROTOCOL.md §20.3)', async (t) => {
  const all = new Set<string>()
  for (const id of ['moi', 'mof']) {
    const r = verifyLog(ctxs[id]!.db.sqlite)
    t.same(r.differences, [], `${id}: every entry matches its rows`)
    const types = new Set(new LogStore(ctxs[id]!.db.sqlite).entries(id, 0, r.entriesChecked).map((e) => JSON.parse(e.entry.toString()).type))
    for (const type of ['classified.access', 'register.taken', 'message.sent', 'message.received']) t.ok(types.has(type), `${id} logged ${type}`)
    for (const type of types) all.add(type)
  }
  t.ok(all.has('classified.statement'), 'an officer\'s statement made at a node is logged (migration 024)')
})

t.test('every changed row of the classified path is found by log verify, on a copy (PROTOCOL.md §20.3, migration 024)', sqliteOnly, async (t) => {
  const { default: Database } = await import('better-sqlite3')
  const { mkdtempSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const dir = mkdtempSync(join(tmpdir(), 'saraban-classified-log-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  let n = 0
  const tampered = async (id: string, sql: string) => {
    const file = join(dir, `copy-${++n}.sqlite`)
    await ctxs[id]!.db.sqlite.backup(file)
    const db = new Database(file)
    db.pragma('foreign_keys = OFF')
    db.exec(sql)
    db.exec('DELETE FROM log_pending')
    try {
      return verifyLog(db)
    } finally {
      db.close()
    }
  }
  const cases: Array<[string, string, string]> = [
    ['mof', 'cover receipt replaced', `UPDATE classified_messages SET receipt = (SELECT receipt FROM inbox_messages LIMIT 1) WHERE received_at IS NOT NULL`],
    ['mof', 'cover receive time changed', `UPDATE classified_messages SET received_at = received_at + 1000 WHERE received_at IS NOT NULL`],
    ['mof', 'cover edited', `UPDATE classified_messages SET cover_json = replace(cover_json, 'registrar', 'somebody') WHERE received_at IS NOT NULL`],
    ['mof', 'officer\'s statement edited', `UPDATE classified_statements SET der = randomblob(64) WHERE direction = 'local'`],
    ['mof', 'officer\'s statement deleted', `DELETE FROM classified_statements WHERE direction = 'local'`],
    ['moi', 'statement notice receipt replaced', `UPDATE classified_statements SET notice_receipt = 'x' || notice_receipt WHERE direction = 'in'`],
    ['moi', 'statement notice profile changed', `UPDATE classified_statements SET notice_profile = 'cms-v1' WHERE direction = 'in'`],
    ['moi', 'statement notice deleted', `DELETE FROM classified_statements WHERE direction = 'in'`],
  ]
  for (const [id, what, sql] of cases) {
    const r = await tampered(id, sql)
    t.notOk(r.ok, `${id}: ${what}: ${r.differences[0] ? `${r.differences[0].type} ${r.differences[0].what}` : 'nothing found'}`)
  }
})
