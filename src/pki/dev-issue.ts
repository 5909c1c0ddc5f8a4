// Building certificates for throwaway and dev federations with @peculiar/x509 (building only: trust is
// decided by validate.ts). Keys are generated with node's WebCrypto and handed out as KeyObject.
// Profiles follow RFC 5280 §4.2.1 (extensions) and the role table in validate.ts.
import { KeyObject, X509Certificate, webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { toPem } from './cert.js'
import type { CertRole } from './cert.js'
import {
  AGENCY_ID_PREFIX, OID_AT_COMMON_NAME, OID_AT_COUNTRY, OID_AT_ORGANIZATION, OID_AT_ORGANIZATION_IDENTIFIER,
  OID_EKU_CLIENT_AUTH, OID_EKU_EMAIL_PROTECTION, OID_EKU_SARABAN_DIRECTORY, OID_EKU_SERVER_AUTH, OID_EKU_TIME_STAMPING,
} from './oids.js'

export type KeyAlg = 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ec-p256' | 'ec-p384'

export interface Issued {
  key: KeyObject; keyPem: string; cert: X509Certificate; certPem: string
  /** leaf..intermediate, without the root (a root's own chain is empty) */
  chain: X509Certificate[]; chainPem: string
}

export interface SubjectSpec { commonName: string; organization?: string; agencyId?: string; country?: string }

export interface IssueOptions {
  role: CertRole
  /** 'rsa' = rsa-2048, 'ec' = ec-p256 (the agency key types of the contract) */
  keyType: KeyAlg | 'rsa' | 'ec'
  subject: SubjectSpec
  notBefore?: Date
  notAfter?: Date
  /** TLS only; default DNS:localhost + IP:127.0.0.1 (dev) */
  san?: { dns?: string[]; ip?: string[] }
  /** CA only: basicConstraints pathLenConstraint */
  pathLength?: number
  /** Appended as is (tests: e.g. an unknown critical extension). */
  extraExtensions?: x509.Extension[]
}

type CryptoKey = webcrypto.CryptoKey
const crypto = webcrypto
const subtle = webcrypto.subtle
const F = x509.KeyUsageFlags

// Key generation parameters and the signature each key makes on certificates it issues.
const KEY_ALGS: Record<KeyAlg, { gen: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams; sign: webcrypto.Algorithm & { hash?: string } }> = {
  'rsa-2048': { gen: rsa(2048), sign: { name: 'RSASSA-PKCS1-v1_5' } },
  'rsa-3072': { gen: rsa(3072), sign: { name: 'RSASSA-PKCS1-v1_5' } },
  'rsa-4096': { gen: rsa(4096), sign: { name: 'RSASSA-PKCS1-v1_5' } },
  'ec-p256': { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  'ec-p384': { gen: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } },
}

function rsa(modulusLength: number): webcrypto.RsaHashedKeyGenParams {
  return { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
}

// Keys this module generated keep their CryptoKey twin, so issuing does not re-import them.
const twins = new WeakMap<KeyObject, { alg: KeyAlg; privateKey: CryptoKey; publicKey: CryptoKey }>()

interface GeneratedKey { alg: KeyAlg; key: KeyObject; privateKey: CryptoKey; publicKey: CryptoKey }

export async function generateKey(type: IssueOptions['keyType']): Promise<GeneratedKey> {
  const alg: KeyAlg = type === 'rsa' ? 'rsa-2048' : type === 'ec' ? 'ec-p256' : type
  const pair = (await subtle.generateKey(KEY_ALGS[alg].gen, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const key = KeyObject.from(pair.privateKey)
  twins.set(key, { alg, privateKey: pair.privateKey, publicKey: pair.publicKey })
  return { alg, key, privateKey: pair.privateKey, publicKey: pair.publicKey }
}

/** Random positive 16-byte serial (RFC 5280 §4.1.2.2: positive, ≤ 20 octets; CA/B BR: ≥ 64 bits of entropy). */
function serialHex(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16))
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x40 // positive and exactly 16 octets in DER
  return Buffer.from(b).toString('hex')
}

function subjectName(s: SubjectSpec): x509.Name {
  // RFC 5280 §4.1.2.4: UTF8String for names (Thai), PrintableString for country.
  const rdns: x509.JsonNameParams = [{ [OID_AT_COUNTRY]: [{ printableString: s.country ?? 'TH' }] }]
  if (s.organization !== undefined) rdns.push({ [OID_AT_ORGANIZATION]: [{ utf8String: s.organization }] })
  if (s.agencyId !== undefined) rdns.push({ [OID_AT_ORGANIZATION_IDENTIFIER]: [{ utf8String: AGENCY_ID_PREFIX + s.agencyId }] })
  rdns.push({ [OID_AT_COMMON_NAME]: [{ utf8String: s.commonName }] })
  return new x509.Name(rdns)
}

/** KU + EKU + basicConstraints of each role (must satisfy ROLE_RULES in validate.ts). */
function roleExtensions(role: CertRole, alg: KeyAlg, opts: IssueOptions): x509.Extension[] {
  const isRsa = alg.startsWith('rsa')
  switch (role) {
    case 'ca':
      return [new x509.BasicConstraintsExtension(true, opts.pathLength, true), new x509.KeyUsagesExtension(F.keyCertSign | F.cRLSign, true)]
    case 'tls':
      return [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(isRsa ? F.digitalSignature | F.keyEncipherment : F.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([OID_EKU_SERVER_AUTH, OID_EKU_CLIENT_AUTH], false),
        new x509.SubjectAlternativeNameExtension([
          ...(opts.san?.dns ?? ['localhost']).map((value) => ({ type: 'dns' as const, value })),
          ...(opts.san?.ip ?? ['127.0.0.1']).map((value) => ({ type: 'ip' as const, value })),
        ], false),
      ]
    case 'signing':
      return [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(F.digitalSignature | F.nonRepudiation, true)]
    case 'encryption':
      return [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(isRsa ? F.keyEncipherment : F.keyAgreement, true)]
    // PROTOCOL.md §1.2: an officer's personal certificates, S/MIME-like (emailProtection), so that
    // `openssl cms -verify` accepts the signer with its default purpose.
    case 'officer-signing':
      return [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(F.digitalSignature | F.nonRepudiation, true),
        new x509.ExtendedKeyUsageExtension([OID_EKU_EMAIL_PROTECTION], false),
      ]
    case 'officer-encryption':
      return [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(isRsa ? F.keyEncipherment : F.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([OID_EKU_EMAIL_PROTECTION], false),
      ]
    case 'directory':
      return [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(F.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([OID_EKU_SARABAN_DIRECTORY], false),
      ]
    case 'tsa':
      // RFC 3161 §2.3: id-kp-timeStamping alone, in a critical extension.
      return [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(F.digitalSignature | F.nonRepudiation, true),
        new x509.ExtendedKeyUsageExtension([OID_EKU_TIME_STAMPING], true),
      ]
  }
}

async function cryptoKeyOf(key: KeyObject): Promise<{ alg: KeyAlg; privateKey: CryptoKey }> {
  const twin = twins.get(key)
  if (twin !== undefined) return twin
  // A key loaded from disk: import it once for signing.
  const d = key.asymmetricKeyDetails
  const alg: KeyAlg = key.asymmetricKeyType === 'rsa'
    ? (`rsa-${d?.modulusLength ?? 0}` as KeyAlg)
    : d?.namedCurve === 'secp384r1' ? 'ec-p384' : 'ec-p256'
  if (KEY_ALGS[alg] === undefined) throw new Error(`unsupported issuer key ${alg}`)
  const der = key.export({ type: 'pkcs8', format: 'der' })
  const privateKey = await subtle.importKey('pkcs8', der, KEY_ALGS[alg].gen, false, ['sign'])
  return { alg, privateKey }
}

function issued(key: KeyObject, cert: X509Certificate, chain: X509Certificate[]): Issued {
  return {
    key, keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), cert, certPem: toPem(cert),
    chain, chainPem: chain.map(toPem).join(''),
  }
}

/** A self-signed root CA (RFC 5280 §3.2 trust anchor). Its `chain` is empty. */
export async function createRootCa(opts: { subject: SubjectSpec; keyType: KeyAlg; notBefore: Date; notAfter: Date }): Promise<Issued> {
  const k = await generateKey(opts.keyType)
  const name = subjectName(opts.subject)
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex(), subject: name, issuer: name, notBefore: opts.notBefore, notAfter: opts.notAfter,
    publicKey: k.publicKey, signingKey: k.privateKey, signingAlgorithm: KEY_ALGS[k.alg].sign,
    extensions: [
      ...roleExtensions('ca', k.alg, { role: 'ca', keyType: k.alg, subject: opts.subject }),
      await x509.SubjectKeyIdentifierExtension.create(k.publicKey, false, crypto),
    ],
  }, crypto)
  return issued(k.key, new X509Certificate(Buffer.from(cert.rawData)), [])
}

/** Issues one certificate of `role` under `issuer` (a CA made by this module or loaded from PEM). */
export async function issueCertificate(issuer: Pick<Issued, 'key' | 'cert' | 'chain'>, opts: IssueOptions): Promise<Issued> {
  const k = await generateKey(opts.keyType)
  const leaf = await certifyKey(issuer, k.publicKey, k.alg, opts)
  return issued(k.key, leaf, [leaf, ...issuer.chain])
}

/** Signs a certificate of `opts.role` for a public key held elsewhere (a CSR's: dev-csr.ts). */
export async function certifyKey(
  issuer: Pick<Issued, 'key' | 'cert'>, publicKey: CryptoKey | x509.PublicKey, alg: KeyAlg, opts: IssueOptions,
): Promise<X509Certificate> {
  const signer = await cryptoKeyOf(issuer.key)
  const issuerCert = new x509.X509Certificate(issuer.cert.raw)
  const ski = issuerCert.getExtension(x509.SubjectKeyIdentifierExtension)
  const now = Date.now()
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex(),
    subject: subjectName(opts.subject),
    issuer: issuerCert.subjectName, // exact issuer DN (RFC 5280 §6.1.3 (a)(4) name chaining)
    notBefore: opts.notBefore ?? new Date(now - 3600_000),
    notAfter: opts.notAfter ?? new Date(now + 365 * 86400_000),
    publicKey, signingKey: signer.privateKey, signingAlgorithm: KEY_ALGS[signer.alg].sign,
    extensions: [
      ...roleExtensions(opts.role, alg, opts),
      await x509.SubjectKeyIdentifierExtension.create(publicKey, false, crypto),
      ...(ski ? [new x509.AuthorityKeyIdentifierExtension(ski.keyId, false)] : []),
      ...(opts.extraExtensions ?? []),
    ],
  }, crypto)
  return new X509Certificate(Buffer.from(cert.rawData))
}

/** The WebCrypto signing key and certificate-signature algorithm of an issuer key (dev-crl.ts). */
export async function issuerSigner(key: KeyObject): Promise<{ privateKey: CryptoKey; algorithm: webcrypto.Algorithm & { hash?: string } }> {
  const s = await cryptoKeyOf(key)
  return { privateKey: s.privateKey, algorithm: KEY_ALGS[s.alg].sign }
}
