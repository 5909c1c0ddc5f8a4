// PEM / DER / fingerprint helpers and the key → algorithm table (src/pki/cert.ts, src/pki/keys.ts).
import t from 'tap'
import { createHash, generateKeyPairSync } from 'node:crypto'
import { certFromBase64Der, fingerprint, parsePemChain, toBase64Der, toPem } from '../../src/pki/cert.js'
import { keyKind, loadPrivateKey, signingAlgFor } from '../../src/pki/keys.js'
import { testFederation } from '../helpers/federation.js'

t.test('PEM chains keep their order; base64 DER round-trips', async (t) => {
  const fed = await testFederation()
  const a = fed.agencies.moi!.signing
  const chain = parsePemChain(`junk before\n${a.chainPem}\ntrailing`)
  t.equal(chain.length, 2)
  t.equal(fingerprint(chain[0]!), fingerprint(a.cert))
  t.equal(fingerprint(chain[1]!), fingerprint(fed.intermediate.cert))
  t.equal(fingerprint(certFromBase64Der(toBase64Der(a.cert))), fingerprint(a.cert))
  t.equal(toPem(a.cert), a.certPem)
  t.equal(fingerprint(a.cert), createHash('sha256').update(a.cert.raw).digest('hex'))
  t.match(fingerprint(a.cert), /^[0-9a-f]{64}$/)
  t.throws(() => parsePemChain('no certificate here'))
  t.throws(() => certFromBase64Der(toBase64Der(a.cert).replace(/\+/g, '-').replace(/\//g, '_') + '!'), 'base64url is refused')
})

t.test('keys: load, kind, signing algorithm', async (t) => {
  const fed = await testFederation()
  const rsa = loadPrivateKey(fed.agencies.moi!.signing.keyPem)
  t.equal(keyKind(rsa), 'rsa')
  t.equal(signingAlgFor(rsa), 'RS256')
  t.equal(signingAlgFor(fed.agencies.moi!.signing.cert), 'RS256')
  t.equal(signingAlgFor(loadPrivateKey(fed.agencies.mof!.signing.keyPem)), 'ES256')
  t.equal(signingAlgFor(fed.agencies.dga!.encryption.cert), 'ES256')
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
  t.throws(() => signingAlgFor(p384), { code: 'ERR_PROFILE_UNSUPPORTED' }, 'P-384 does not sign letters')
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey
  t.throws(() => signingAlgFor(small), { code: 'ERR_PROFILE_UNSUPPORTED' }, 'RSA-1024 refused')
  const ed = generateKeyPairSync('ed25519').privateKey
  t.throws(() => keyKind(ed), { code: 'ERR_PROFILE_UNSUPPORTED' })
  const encrypted = rsa.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString()
  t.equal(keyKind(loadPrivateKey(encrypted, 'secret')), 'rsa', 'encrypted PKCS#8')
  t.throws(() => loadPrivateKey(encrypted, 'wrong'))
})
