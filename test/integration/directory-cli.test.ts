// The operator's tools as an operator runs them (PROTOCOL.md §14.1, §14.6): `directory sign` from a
// plain file with PEM references, and `directory serve` answering with ETags over real HTTPS.
import t from 'tap'
import { spawn, execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from 'undici'
import { verifyDirectory } from '../../src/pki/directory.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { testFederation } from '../helpers/federation.js'
import { directoryCommand } from '../../src/cli/directory.js'
import { freePort, waitFor } from '../helpers/nodes.js'

const MAIN = join(import.meta.dirname, '../../src/main.ts')
const dir = mkdtempSync(join(tmpdir(), 'saraban-dircli-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const cli = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }))
  })

/** The same command in this process (each CLI process costs a cold tsx start): resolves 0 or rejects like main.ts would report. */
async function inProcess(...args: string[]): Promise<{ status: number; code?: string; message?: string }> {
  const write = process.stdout.write
  const quiet = process.stderr.write
  process.stdout.write = (() => true) as typeof process.stdout.write
  process.stderr.write = (() => true) as typeof process.stderr.write
  try {
    return { status: await directoryCommand.run(args) }
  } catch (err) {
    const e = err as { code?: string; message?: string; errors?: Array<{ field: string }> }
    return { status: e.code ? 1 : 2, ...(e.code ? { code: e.code } : {}), message: `${e.message} ${(e.errors ?? []).map((x) => x.field).join(' ')}` }
  } finally {
    process.stdout.write = write
    process.stderr.write = quiet
  }
}

async function layout() {
  const fed = await testFederation()
  writeFileSync(join(dir, 'root.crt.pem'), fed.root.certPem)
  mkdirSync(join(dir, 'operator'), { recursive: true })
  writeFileSync(join(dir, 'operator', 'directory.key.pem'), fed.directoryIssuer.keyPem, { mode: 0o600 })
  writeFileSync(join(dir, 'operator', 'directory.chain.pem'), fed.directoryIssuer.chainPem)
  writeFileSync(join(dir, 'operator', 'issuing-ca.crt.pem'), fed.intermediate.certPem)
  for (const [id, a] of Object.entries(fed.agencies)) {
    mkdirSync(join(dir, id), { recursive: true })
    for (const role of ['tls', 'signing', 'encryption'] as const) writeFileSync(join(dir, id, `${role}.chain.pem`), a[role].chainPem)
  }
  const plain = {
    agencies: Object.values(fed.agencies).map((a) => ({
      id: a.spec.id, nameTh: a.spec.nameTh, nameEn: a.spec.nameEn,
      endpoints: [a.spec.federationUrl],
      certificates: { tls: [`file:${a.spec.id}/tls.chain.pem`], signing: [`file:${a.spec.id}/signing.chain.pem`], encryption: [`file:${a.spec.id}/encryption.chain.pem`] },
      profiles: ['jose-v1'], status: 'active',
    })),
    intermediates: ['file:operator/issuing-ca.crt.pem'],
  }
  writeFileSync(join(dir, 'plain.json'), JSON.stringify(plain, null, 2))
  return fed
}

t.test('directory sign: defaults, PEM references, serials only go up, problems listed', async (t) => {
  const fed = await layout()
  const out = join(dir, 'pub', 'directory.jws')
  const sign = (...extra: string[]) => cli('directory', 'sign', '--in', join(dir, 'plain.json'), '--key', join(dir, 'operator', 'directory.key.pem'),
    '--cert', join(dir, 'operator', 'directory.chain.pem'), '--out', out, '--anchors', join(dir, 'root.crt.pem'), ...extra)
  const first = await sign()
  t.equal(first.status, 0, first.stderr)
  t.match(first.stdout, /signed directory serial 1: 3 agencies/)
  const anchors = new TrustAnchors([fed.root.cert])
  const doc = await verifyDirectory(readFileSync(out, 'utf8'), anchors, new Date())
  t.equal(doc.serial, 1)
  t.equal(doc.agencies.find((a) => a.id === 'moi')!.certificates.tls[0], fed.agencies.moi!.tls.cert.raw.toString('base64'), 'file: takes the leaf')
  t.same(doc.intermediates, [fed.intermediate.cert.raw.toString('base64')])
  t.ok(Date.parse(doc.nextUpdate) - Date.parse(doc.issuedAt) === 7 * 86_400_000, 'nextUpdate defaults to 7 days')

  const signIn = (...extra: string[]) => inProcess('sign', '--in', join(dir, 'plain.json'), '--key', join(dir, 'operator', 'directory.key.pem'),
    '--cert', join(dir, 'operator', 'directory.chain.pem'), '--out', out, '--anchors', join(dir, 'root.crt.pem'), ...extra)
  const second = await signIn('--valid-days', '2')
  t.equal(second.status, 0, second.message ?? 'signed')
  const doc2 = await verifyDirectory(readFileSync(out, 'utf8'), anchors, new Date())
  t.equal(doc2.serial, 2, 'the serial goes up by itself')
  t.equal(Date.parse(doc2.nextUpdate) - Date.parse(doc2.issuedAt), 2 * 86_400_000)

  const back = await signIn('--serial', '2')
  t.equal(back.code, 'ERR_DIRECTORY_ROLLBACK')
  t.equal((await verifyDirectory(readFileSync(out, 'utf8'), anchors, new Date())).serial, 2, 'the published file is untouched')

  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ agencies: [{ id: 'Bad', nameTh: 'x', nameEn: 'x', endpoints: ['http://x'], certificates: { tls: [], signing: [], encryption: [] }, profiles: [], status: 'active' }] }))
  const bad = await inProcess('sign', '--in', join(dir, 'bad.json'), '--key', join(dir, 'operator', 'directory.key.pem'), '--cert', join(dir, 'operator', 'directory.chain.pem'), '--out', join(dir, 'bad.jws'))
  t.equal(bad.code, 'ERR_REQUEST_INVALID')
  t.match(bad.message, /\/agencies\/0\/id/)
  t.match(bad.message, /\/agencies\/0\/endpoints\/0/)

  const wrongKey = await inProcess('sign', '--in', join(dir, 'plain.json'), '--key', join(dir, 'operator', 'directory.key.pem'), '--cert', join(dir, 'moi', 'tls.chain.pem'), '--out', join(dir, 'x.jws'))
  t.not(wrongKey.status, 0, 'a key that does not match the certificate')
  writeFileSync(join(dir, 'moi', 'signing.key.pem'), fed.agencies.moi!.signing.keyPem)
  const notDirectory = await inProcess('sign', '--in', join(dir, 'plain.json'), '--key', join(dir, 'moi', 'signing.key.pem'), '--cert', join(dir, 'moi', 'signing.chain.pem'), '--out', join(dir, 'x.jws'), '--anchors', join(dir, 'root.crt.pem'))
  t.equal(notDirectory.code, 'ERR_DIRECTORY_INVALID', 'an agency signing certificate cannot sign the directory')
  t.equal((await inProcess()).status, 2, 'no subcommand is a usage error')
})

t.test('directory serve: HTTPS, media types, ETag and 304, nothing else', async (t) => {
  const fed = await testFederation()
  const pub = join(dir, 'pub')
  writeFileSync(join(pub, 'issuing-ca.crl'), Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]))
  writeFileSync(join(pub, 'secret.key.pem'), 'not published')
  const port = await freePort()
  writeFileSync(join(dir, 'moi', 'tls.key.pem'), fed.agencies.moi!.tls.keyPem)
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'directory', 'serve', '--dir', pub, '--cert', join(dir, 'moi', 'tls.chain.pem'), '--key', join(dir, 'moi', 'tls.key.pem'), '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += String(d)))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await waitFor('the publisher listening', () => stderr.includes('publishing'), 30_000)

  const client = new Client(`https://127.0.0.1:${port}`, { connect: { ca: fed.root.certPem } })
  t.teardown(() => client.close())
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const r = await client.request({ method: 'GET', path, headers })
    const body = Buffer.from(await r.body.arrayBuffer())
    return { status: r.statusCode, headers: r.headers, body }
  }
  const jws = await get('/directory.jws')
  t.equal(jws.status, 200)
  t.equal(jws.headers['content-type'], 'application/jose')
  t.equal(jws.body.toString(), readFileSync(join(pub, 'directory.jws'), 'utf8'))
  const etag = String(jws.headers['etag'])
  t.match(etag, /^"[0-9a-f]{64}"$/)
  t.equal((await get('/directory.jws', { 'if-none-match': etag })).status, 304)
  const crl = await get('/issuing-ca.crl')
  t.equal(crl.headers['content-type'], 'application/pkix-crl')
  t.equal(crl.body.length, 5)
  t.equal((await get('/secret.key.pem')).status, 404)
  t.equal((await get('/..%2Fpub%2Fdirectory.jws')).status, 404, 'one path segment only')
  t.equal((await get('/nope.jws')).status, 404)
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'SIGTERM stops it cleanly')
})
