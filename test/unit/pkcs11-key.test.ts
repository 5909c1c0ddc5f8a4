// PKCS#11 key handles against a real SoftHSM2 token (issue 12 §1): what the token signs verifies
// with node:crypto and with `openssl`; what it decrypts and derives agrees with node:crypto for the
// same keys; each way of failing to open a key says its one sentence.
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import {
  constants, createPublicKey, diffieHellman, generateKeyPairSync, publicEncrypt, randomBytes, verify, X509Certificate, type KeyObject,
} from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { keyObjectHandle } from '../../src/crypto/keys/handle.js'
import { openPkcs11Key, Pkcs11KeyError, type Pkcs11Failure } from '../../src/crypto/keys/pkcs11.js'
import { p1363ToDer } from '../../src/crypto/keys/ecdsa-der.js'
import { softhsmMissing, softToken, type SoftToken } from '../helpers/softhsm.js'

const missing = softhsmMissing()
if (missing) {
  t.comment(`skipped: ${missing}`)
  t.pass('skipped: SoftHSM2 is not installed')
  t.end()
} else {
  await run()
}

/** A self-signed certificate for `key` (openssl req -x509), so that the token holds a key and its certificate. */
function selfSigned(tok: SoftToken, key: KeyObject, cn: string): X509Certificate {
  const keyFile = join(tok.dir, `${cn}.key.pem`)
  writeFileSync(keyFile, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
  const pem = execFileSync('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', `/CN=${cn}`, '-days', '2', '-sha256'])
  return new X509Certificate(pem)
}

function failsWith(t: Test, fn: () => unknown, reason: Pkcs11Failure): void {
  try {
    fn()
    t.fail(`expected ${reason}`)
  } catch (e) {
    t.ok(e instanceof Pkcs11KeyError, 'a Pkcs11KeyError')
    t.equal((e as Pkcs11KeyError).reason, reason)
    t.match((e as Error).message, /^[^\n]+\.$/, 'one sentence')
  }
}

function opensslVerify(tok: SoftToken, pub: KeyObject, data: Buffer, sig: Buffer, extra: string[] = []): string {
  const pubFile = join(tok.dir, 'pub.pem'), dataFile = join(tok.dir, 'data.bin'), sigFile = join(tok.dir, 'sig.bin')
  writeFileSync(pubFile, pub.export({ type: 'spki', format: 'pem' }))
  writeFileSync(dataFile, data)
  writeFileSync(sigFile, sig)
  return execFileSync('openssl', ['dgst', '-sha256', ...extra, '-verify', pubFile, '-signature', sigFile, dataFile]).toString()
}

async function run(): Promise<void> {
  const tok = softToken('saraban-unit')
  t.teardown(() => tok.remove())
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  const rsaCert = selfSigned(tok, rsa, 'rsa-officer')
  const ecCert = selfSigned(tok, ec, 'ec-officer')
  tok.importKey('rsa-key', rsa.export({ type: 'pkcs8', format: 'pem' }), rsaCert)
  tok.importKey('ec-key', ec.export({ type: 'pkcs8', format: 'pem' }), ecCert)
  tok.importKey('ec-no-cert', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }))
  tok.importKey('p384-key', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }))
  const spec = (keyLabel: string, extra: Partial<Parameters<typeof openPkcs11Key>[0]> = {}) => ({ module: tok.module, tokenLabel: tok.label, keyLabel, pin: tok.pin, ...extra })
  const data = Buffer.from('หนังสือราชการ ที่ มท 0201.2/123')

  t.test('RSA key on the token: RS256 and PS256 verify with node:crypto and openssl; OAEP agrees', async (t) => {
    const { handle, certificate } = openPkcs11Key(spec('rsa-key'))
    t.teardown(() => handle.close())
    t.equal(handle.kind, 'rsa')
    t.ok(certificate?.publicKey.equals(rsaCert.publicKey), 'the certificate object of the same label')
    t.ok(handle.publicKey.equals(createPublicKey(rsa)), 'the public key from the token matches')
    t.match(handle.describe, /token "saraban-unit" key "rsa-key"/)
    const rs = handle.sign('RS256', data)
    t.same(rs, keyObjectHandle(rsa).sign('RS256', data), 'PKCS#1 v1.5 is deterministic: the same bytes as node:crypto')
    t.ok(verify('sha256', data, { key: handle.publicKey, padding: constants.RSA_PKCS1_PADDING }, rs))
    t.match(opensslVerify(tok, handle.publicKey, data, rs), /Verified OK/)
    const ps = handle.sign('PS256', data)
    t.ok(verify('sha256', data, { key: handle.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, ps), 'PSS, salt 32')
    t.match(opensslVerify(tok, handle.publicKey, data, ps, ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32', '-sigopt', 'rsa_mgf1_md:sha256']), /Verified OK/)
    const cek = randomBytes(32)
    t.same(handle.decryptOaepSha256(publicEncrypt({ key: rsaCert.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek)), cek)
    for (const len of [0, 1, 31, 33, 100, 190]) {
      const m = randomBytes(len)
      t.same(handle.decryptOaepSha256(publicEncrypt({ key: rsaCert.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, m)), m, `a ${len}-byte message`)
    }
    t.throws(() => handle.decryptOaepSha256(publicEncrypt({ key: rsaCert.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, cek)), 'OAEP with SHA-1 is not opened')
    t.throws(() => handle.decryptOaepSha256(publicEncrypt({ key: rsaCert.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from('x') }, cek)), 'another label is not opened')
    t.throws(() => handle.decryptOaepSha256(publicEncrypt({ key: rsaCert.publicKey, padding: constants.RSA_PKCS1_PADDING }, cek)), 'PKCS#1 v1.5 padding is not opened')
    t.throws(() => handle.sign('ES256', data), /EC P-256/)
    t.throws(() => handle.deriveEcdh(ec), /ECDH needs/)
  })

  t.test('EC P-256 key on the token: ES256 (r‖s) verifies with node:crypto and openssl; ECDH agrees', async (t) => {
    const { handle, certificate } = openPkcs11Key(spec('ec-key'))
    t.teardown(() => handle.close())
    t.equal(handle.kind, 'ec-p256')
    t.ok(certificate?.publicKey.equals(ecCert.publicKey))
    t.ok(handle.publicKey.equals(createPublicKey(ec)))
    const sig = handle.sign('ES256', data)
    t.equal(sig.length, 64)
    t.ok(verify('sha256', data, { key: ecCert.publicKey, dsaEncoding: 'ieee-p1363' }, sig))
    t.match(opensslVerify(tok, handle.publicKey, data, p1363ToDer(sig)), /Verified OK/)
    const eph = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    t.same(handle.deriveEcdh(eph.publicKey), diffieHellman({ privateKey: eph.privateKey, publicKey: ecCert.publicKey }), 'Z as node:crypto computes it')
    t.same(handle.deriveEcdh(eph.publicKey), diffieHellman({ privateKey: ec, publicKey: eph.publicKey }), 'again: the derived secret object is not left behind')
    t.throws(() => handle.sign('RS256', data), /RSA/)
    t.throws(() => handle.decryptOaepSha256(Buffer.alloc(256)), /RSA-OAEP/)
  })

  t.test('an EC key without a certificate: the public key comes from the token public key object', async (t) => {
    const { handle, certificate } = openPkcs11Key(spec('ec-no-cert'))
    t.teardown(() => handle.close())
    t.equal(certificate, undefined)
    t.equal(handle.kind, 'ec-p256')
    t.ok(verify('sha256', data, { key: handle.publicKey, dsaEncoding: 'ieee-p1363' }, handle.sign('ES256', data)))
  })

  t.test('two handles in one process share the module; slot by ID works; closed handles refuse', async (t) => {
    const a = openPkcs11Key(spec('rsa-key')).handle
    const slots = execFileSync('pkcs11-tool', ['--module', tok.module, '--list-slots']).toString()
    const slot = parseInt(/Slot \d+ \(0x([0-9a-f]+)\)/.exec(slots)![1]!, 16)
    const b = openPkcs11Key({ module: tok.module, slot, keyLabel: 'ec-key', pin: tok.pin }).handle
    t.equal(b.kind, 'ec-p256')
    a.close()
    t.ok(verify('sha256', data, { key: b.publicKey, dsaEncoding: 'ieee-p1363' }, b.sign('ES256', data)), 'b still works after a is closed')
    b.close()
    t.throws(() => b.sign('ES256', data), /closed/)
    const c = openPkcs11Key(spec('rsa-key')).handle
    t.equal(c.kind, 'rsa', 'the module is initialised again after the last handle closed')
    c.close()
  })

  t.test('each failure is one sentence with its reason', async (t) => {
    failsWith(t, () => openPkcs11Key(spec('rsa-key', { pin: '000000' })), 'pin-incorrect')
    failsWith(t, () => openPkcs11Key(spec('rsa-key', { module: join(tok.dir, 'no-such-module.so') })), 'module-missing')
    failsWith(t, () => openPkcs11Key(spec('rsa-key', { tokenLabel: 'no-such-token' })), 'token-not-found')
    failsWith(t, () => openPkcs11Key(spec('no-such-key')), 'key-not-found')
    failsWith(t, () => openPkcs11Key(spec('p384-key')), 'key-type')
    try {
      openPkcs11Key(spec('rsa-key', { pin: 'secret-pin-9' }))
    } catch (e) {
      t.notMatch((e as Error).message, /secret-pin-9/, 'the PIN is never in an error')
    }
    const ok = openPkcs11Key(spec('rsa-key')).handle
    t.equal(ok.kind, 'rsa', 'the right PIN still opens it after failures')
    ok.close()
  })
}
