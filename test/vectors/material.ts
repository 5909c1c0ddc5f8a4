// Fixed key material of the jose-v1 test vectors (test/vectors/jose-v1/keys.json): private keys as
// JWK (RFC 7517), certificates as base64 DER (as in x5c). TEST KEYS ONLY: published on purpose.
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import type { SignerIdentity } from '../../src/crypto/profiles.js'

export interface KeysFile {
  description: string
  root: string
  agencies: Record<string, {
    keyType: 'rsa' | 'ec'
    signing: { privateJwk: Record<string, unknown>; x5c: string[] }
    encryption: { privateJwk: Record<string, unknown>; certificate: string; x5tS256: string }
  }>
}

export interface VectorAgency {
  keyType: 'rsa' | 'ec'
  signer: SignerIdentity<KeyObject>
  encryptionKey: KeyObject
  encryptionCert: X509Certificate
}

export interface VectorMaterial { root: X509Certificate; agencies: Record<string, VectorAgency> }

const der = (b64: string): X509Certificate => new X509Certificate(Buffer.from(b64, 'base64'))
const jwkKey = (jwk: Record<string, unknown>): KeyObject => createPrivateKey({ key: jwk as never, format: 'jwk' })

export function materialFromKeysFile(file: KeysFile): VectorMaterial {
  const agencies: Record<string, VectorAgency> = {}
  for (const [id, a] of Object.entries(file.agencies)) {
    agencies[id] = {
      keyType: a.keyType,
      signer: { agency: id, key: jwkKey(a.signing.privateJwk), chain: a.signing.x5c.map(der) },
      encryptionKey: jwkKey(a.encryption.privateJwk),
      encryptionCert: der(a.encryption.certificate),
    }
  }
  return { root: der(file.root), agencies }
}

export function keysFileOf(m: VectorMaterial): KeysFile {
  const b64 = (c: X509Certificate) => c.raw.toString('base64')
  const agencies: KeysFile['agencies'] = {}
  for (const [id, a] of Object.entries(m.agencies)) {
    agencies[id] = {
      keyType: a.keyType,
      signing: { privateJwk: a.signer.key.export({ format: 'jwk' }) as Record<string, unknown>, x5c: a.signer.chain.map(b64) },
      encryption: {
        privateJwk: a.encryptionKey.export({ format: 'jwk' }) as Record<string, unknown>,
        certificate: b64(a.encryptionCert),
        x5tS256: createHash('sha256').update(a.encryptionCert.raw).digest('base64url'),
      },
    }
  }
  return {
    description: 'jose-v1 test vector key material. TEST KEYS ONLY, published on purpose: never trust them. ' +
      'Private keys are JWK (RFC 7517); certificates are base64 DER; signing x5c is leaf first, without the root.',
    root: b64(m.root),
    agencies,
  }
}
