// Interop (PROTOCOL.md §13): `openssl ts -verify` accepts the tokens and responses of our TSA, for EC and
// RSA TSA keys, given only the federation root and the TSA chain; and our verifier accepts tokens that
// `openssl ts -reply` issued with the same TSA key (ESS signing-certificate v1 and v2).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildTsaServer, TSQ_MEDIA_TYPE } from '../../src/tsa/server.js'
import { buildRequest } from '../../src/tsa/request.js'
import { parseResponse } from '../../src/tsa/response.js'
import { verifyTimeStampToken } from '../../src/tsa/verify.js'
import { OID_TSA_POLICY_DEV } from '../../src/tsa/oids.js'
import { createLogger } from '../../src/log.js'
import { testTrust } from '../helpers/federation.js'
import { testTsaCert } from '../helpers/tsa.js'

const hasOpenssl = spawnSync('openssl', ['version']).status === 0

function openssl(args: string[], cwd?: string): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8', ...(cwd ? { cwd } : {}) })
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() }
}

for (const keyType of ['ec', 'rsa'] as const) {
  t.test(`openssl ts -verify accepts our ${keyType} TSA's tokens`, { skip: !hasOpenssl && 'openssl not installed' }, async (t) => {
    const { fed } = await testTrust()
    const tsa = await testTsaCert(keyType)
    const dir = mkdtempSync(join(tmpdir(), 'saraban-ts-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const app = await buildTsaServer({ signer: { key: tsa.key, chain: tsa.chain }, clock: { now: () => Date.now() }, log: createLogger('silent') })
    t.teardown(() => app.close())
    const f = (name: string) => join(dir, name)
    writeFileSync(f('root.pem'), fed.root.certPem)
    writeFileSync(f('chain.pem'), tsa.chainPem)

    // A token over the SHA-256 of a signature value, as nodes ask for it (our request builder).
    const imprint = createHash('sha256').update('a raw signature value').digest()
    const res = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': TSQ_MEDIA_TYPE }, payload: buildRequest({ imprint, certReq: true }) })
    writeFileSync(f('resp.tsr'), res.rawPayload)
    const parsed = parseResponse(res.rawPayload)
    if (!parsed.granted) throw new Error('not granted')
    writeFileSync(f('token.tsr'), parsed.token)
    const hex = imprint.toString('hex')
    const base = ['-CAfile', f('root.pem'), '-untrusted', f('chain.pem')]
    const r1 = openssl(['ts', '-verify', '-digest', hex, '-in', f('resp.tsr'), ...base])
    t.equal(r1.status, 0, `response: ${r1.out}`)
    const r2 = openssl(['ts', '-verify', '-digest', hex, '-in', f('token.tsr'), '-token_in', ...base])
    t.equal(r2.status, 0, `token alone: ${r2.out}`)
    const other = createHash('sha256').update('another signature').digest('hex')
    t.not(openssl(['ts', '-verify', '-digest', other, '-in', f('token.tsr'), '-token_in', ...base]).status, 0, 'another digest is refused')
    t.not(openssl(['ts', '-verify', '-digest', hex, '-in', f('token.tsr'), '-token_in', '-CAfile', f('chain.pem')]).status, 0, 'without the federation root it does not verify')
    const text = openssl(['ts', '-reply', '-in', f('resp.tsr'), '-text'])
    t.match(text.out, /Status: Granted/)
    t.match(text.out, OID_TSA_POLICY_DEV)

    // A request OpenSSL builds (with its nonce), answered by our TSA, checked against that request.
    t.equal(openssl(['ts', '-query', '-digest', hex, '-sha256', '-cert', '-out', f('req.tsq')]).status, 0)
    const res2 = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': TSQ_MEDIA_TYPE }, payload: readFileSync(f('req.tsq')) })
    writeFileSync(f('resp2.tsr'), res2.rawPayload)
    const r3 = openssl(['ts', '-verify', '-queryfile', f('req.tsq'), '-in', f('resp2.tsr'), ...base])
    t.equal(r3.status, 0, `against OpenSSL's own request (nonce, imprint): ${r3.out}`)
  })
}

for (const essAlg of ['sha256', 'sha1'] as const) {
  t.test(`our verifier accepts a token from openssl ts -reply (ESS cert id ${essAlg})`, { skip: !hasOpenssl && 'openssl not installed' }, async (t) => {
    const { fed, anchors } = await testTrust()
    const tsa = await testTsaCert('ec')
    const dir = mkdtempSync(join(tmpdir(), 'saraban-ts-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const f = (name: string) => join(dir, name)
    writeFileSync(f('root.pem'), fed.root.certPem)
    writeFileSync(f('tsa.pem'), tsa.certPem)
    writeFileSync(f('chain.pem'), tsa.chainPem)
    writeFileSync(f('tsa.key'), tsa.keyPem, { mode: 0o600 })
    writeFileSync(f('serial'), '01\n')
    writeFileSync(f('ts.cnf'), [
      '[ tsa ]', 'default_tsa = dev', '[ dev ]', `serial = ${f('serial')}`, 'signer_digest = sha256',
      `default_policy = ${OID_TSA_POLICY_DEV}`, 'digests = sha256', 'accuracy = secs:1', 'ordering = no', 'tsa_name = no',
      'ess_cert_id_chain = no', `ess_cert_id_alg = ${essAlg}`, '',
    ].join('\n'))
    const imprint = createHash('sha256').update('signature').digest()
    t.equal(openssl(['ts', '-query', '-digest', imprint.toString('hex'), '-sha256', '-cert', '-out', f('req.tsq')]).status, 0)
    const r = openssl(['ts', '-reply', '-config', f('ts.cnf'), '-queryfile', f('req.tsq'), '-inkey', f('tsa.key'), '-signer', f('tsa.pem'), '-chain', f('chain.pem'), '-out', f('resp.tsr')])
    t.equal(r.status, 0, r.out)
    const parsed = parseResponse(readFileSync(f('resp.tsr')))
    if (!parsed.granted) throw new Error('OpenSSL did not grant')
    const v = await verifyTimeStampToken(parsed.token, { imprint, anchors })
    t.ok(v.ok, v.ok ? 'verified' : v.reason)
  })
}
