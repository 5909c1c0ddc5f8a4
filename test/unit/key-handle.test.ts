// The in-memory key handle does what the interface promises, checked against node:crypto's verify.
import t from 'tap'
import { constants, createPublicKey, generateKeyPairSync, publicEncrypt, verify, diffieHellman } from 'node:crypto'
import { keyObjectHandle } from '../../src/crypto/keys/handle.js'

t.test('RSA handle: RS256, PS256 and RSA-OAEP-256', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const h = keyObjectHandle(privateKey, 'test rsa')
  t.equal(h.kind, 'rsa')
  const data = Buffer.from('ทดสอบ')
  t.ok(verify('sha256', data, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, h.sign('RS256', data)))
  t.ok(verify('sha256', data, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, h.sign('PS256', data)))
  const cek = Buffer.alloc(32, 7)
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek)
  t.same(h.decryptOaepSha256(wrapped), cek)
  t.throws(() => h.sign('ES256', data), /EC P-256/)
})

t.test('EC P-256 handle: ES256 in IEEE P1363 form and ECDH', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const h = keyObjectHandle(privateKey)
  t.equal(h.kind, 'ec-p256')
  const sig = h.sign('ES256', Buffer.from('x'))
  t.equal(sig.length, 64)
  t.ok(verify('sha256', Buffer.from('x'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig))
  const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  t.same(h.deriveEcdh(peer.publicKey), diffieHellman({ privateKey: peer.privateKey, publicKey: createPublicKey(privateKey) }))
  t.throws(() => h.decryptOaepSha256(Buffer.alloc(256)), /RSA/)
})

t.test('other curves are refused', async (t) => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  t.throws(() => keyObjectHandle(privateKey, 'p384 key'), /only RSA and EC P-256/)
})
