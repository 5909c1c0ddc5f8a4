// An officer's (or any) private key from a file on the officer's workstation (issue 12 §1,
// classified-design.md §6): an encrypted PKCS#8 (PEM or DER) with its certificate file, or a PKCS#12
// (.p12/.pfx) holding key and certificates. The passphrase opens it here, once; afterwards the key is
// used only through a PrivateKeyHandle. PKCS#12 structure (PFX, MAC, AuthenticatedSafe, bags) is read
// with pkijs (RFC 7292); the shrouded key bag is an EncryptedPrivateKeyInfo that OpenSSL itself opens
// (PBES2 and the PKCS#12 PBE forms); encrypted certificate bags in PBES2 are opened by pkijs, the
// legacy pbeWithSHAAnd3-KeyTripleDES-CBC ones by pkcs12-pbe.ts.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import { SarabanError } from '../../errors.js'
import { pkijsCrypto } from '../../pki/pkijs-engine.js'
import { keyObjectHandle, type PrivateKeyHandle } from './handle.js'
import { decryptLegacyPbe, LEGACY_PBE_OIDS } from './pkcs12-pbe.js'

export interface LoadedKey {
  handle: PrivateKeyHandle
  /** The certificate of the key (its public key matches the handle's). */
  certificate: X509Certificate
  /** The other certificates found with it (intermediates), leaf excluded. */
  chain: X509Certificate[]
}

export interface KeyFileSpec {
  keyFile: string
  /** Required for PKCS#8; optional for PKCS#12 (replaces the certificate inside it). */
  certFile?: string
  passphrase: string
}

const OID_DATA = '1.2.840.113549.1.7.1'
const OID_ENCRYPTED_DATA = '1.2.840.113549.1.7.6'
const OID_PBES2 = '1.2.840.113549.1.5.13'
const OID_BAG_KEY = '1.2.840.113549.1.12.10.1.1'
const OID_BAG_SHROUDED_KEY = '1.2.840.113549.1.12.10.1.2'
const OID_BAG_CERT = '1.2.840.113549.1.12.10.1.3'
const OID_X509_CERT = '1.2.840.113549.1.9.22.1'

const fail = (file: string, sentence: string): SarabanError =>
  new SarabanError('ERR_OFFICER_KEY_FILE', `${file}: ${sentence}`, { field: 'key' })

const isPkcs12Name = (f: string): boolean => /\.(p12|pfx)$/i.test(f)

/** Opens a key file holding one key; every failure is ERR_OFFICER_KEY_FILE with one sentence naming the file. */
export async function loadKeyFile(spec: KeyFileSpec): Promise<LoadedKey> {
  const all = await loadKeyFileAll(spec)
  if (all.length !== 1) throw fail(spec.keyFile, `the file holds ${all.length} private keys where one is expected.`)
  return all[0]!
}

/** Every key of a key file (an officer's PKCS#12 holds the signing and the encryption key), each
 *  paired with its certificate. */
export async function loadKeyFileAll(spec: KeyFileSpec): Promise<LoadedKey[]> {
  let bytes: Buffer
  try {
    bytes = readFileSync(spec.keyFile)
  } catch {
    throw fail(spec.keyFile, 'the key file cannot be read; check the path and its permissions.')
  }
  const pem = bytes.toString('latin1')
  const loaded = isPkcs12Name(spec.keyFile) || (!pem.includes('-----BEGIN') && looksLikePfx(bytes))
    ? await fromPkcs12(spec.keyFile, bytes, spec.passphrase)
    : fromPkcs8(spec.keyFile, bytes, pem.includes('-----BEGIN'), spec.passphrase)
  const certs = spec.certFile !== undefined ? readCerts(spec.certFile) : loaded.certs
  return loaded.keys.map((key) => pair(spec.keyFile, key, certs))
}

function fromPkcs8(file: string, bytes: Buffer, isPem: boolean, passphrase: string): { keys: KeyObject[]; certs: X509Certificate[] } {
  if (isPem && !/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(bytes.toString('latin1'))) {
    throw fail(file, 'the key is not an encrypted PKCS#8 key; protect it with `openssl pkcs8 -topk8 -v2 aes-256-cbc` first.')
  }
  try {
    return { keys: [createPrivateKey({ key: bytes, format: isPem ? 'pem' : 'der', type: 'pkcs8', passphrase })], certs: [] }
  } catch (e) {
    // With a wrong passphrase the CBC padding check passes about once in 256 tries, and OpenSSL then
    // fails on the garbage as a DER error, not BAD_DECRYPT: a well-formed EncryptedPrivateKeyInfo that
    // does not open is the passphrase's fault either way (CI met it once in key-file.test.ts).
    throw isBadDecrypt(e) || isEncryptedPrivateKeyInfo(bytes, isPem)
      ? fail(file, 'the passphrase does not open this key; check the passphrase file.')
      : fail(file, 'this is not an encrypted PKCS#8 key or a PKCS#12 file.')
  }
}

/** RFC 5958 §3: EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING }. */
function isEncryptedPrivateKeyInfo(bytes: Buffer, isPem: boolean): boolean {
  const der = isPem ? Buffer.from(bytes.toString('latin1').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64') : bytes
  const parsed = asn1js.fromBER(new Uint8Array(der))
  if (parsed.offset === -1 || parsed.offset !== der.length || !(parsed.result instanceof asn1js.Sequence)) return false
  const [alg, data, ...rest] = parsed.result.valueBlock.value
  return rest.length === 0 && alg instanceof asn1js.Sequence && alg.valueBlock.value[0] instanceof asn1js.ObjectIdentifier && data instanceof asn1js.OctetString
}

function isBadDecrypt(e: unknown): boolean {
  const m = e instanceof Error ? `${(e as { code?: string }).code ?? ''} ${e.message}` : ''
  return /bad decrypt|BAD_DECRYPT|passphrase|decrypt/i.test(m)
}

function looksLikePfx(bytes: Buffer): boolean {
  return bytes[0] === 0x30 && bytes.length > 16 && bytes.includes(Buffer.from('2a864886f70d010701', 'hex')) // id-data near a SEQUENCE
}

async function fromPkcs12(file: string, bytes: Buffer, passphrase: string): Promise<{ keys: KeyObject[]; certs: X509Certificate[] }> {
  const crypto = pkijsCrypto()
  let pfx: pkijs.PFX
  try {
    const asn = asn1js.fromBER(new Uint8Array(bytes))
    if (asn.offset === -1) throw new Error('not DER')
    pfx = new pkijs.PFX({ schema: asn.result })
  } catch {
    throw fail(file, 'this is not a PKCS#12 file.')
  }
  // pkijs takes the UTF-8 password and makes the BMPString of RFC 7292 B.1 itself for the MAC; PBES2
  // uses the UTF-8 bytes (as OpenSSL does); the legacy PBE forms the BMPString.
  const utf8 = new TextEncoder().encode(passphrase)
  const password = { utf8: utf8.buffer.slice(utf8.byteOffset, utf8.byteOffset + utf8.length) as ArrayBuffer, bmp: pkcs12Password(passphrase) }
  try {
    // RFC 7292 §4: the MAC over the AuthenticatedSafe, with the password as integrity password.
    await pfx.parseInternalValues({ password: password.utf8, checkIntegrity: true }, crypto)
  } catch (e) {
    if (/integrity|mac|hmac/i.test(String((e as Error).message))) throw fail(file, 'the passphrase does not open this PKCS#12 file; check the passphrase file.')
    throw fail(file, 'this PKCS#12 file uses a form this program cannot read; export it again with OpenSSL 3 `openssl pkcs12 -export`.')
  }
  const safe = pfx.parsedValue?.authenticatedSafe
  if (safe === undefined) throw fail(file, 'this PKCS#12 file is not password-protected in the usual way; export it again with `openssl pkcs12 -export`.')
  const keys: KeyObject[] = []
  const certs: X509Certificate[] = []
  for (const ci of safe.safeContents) {
    for (const bag of await safeBags(file, ci, password, crypto)) {
      if (bag.bagId === OID_BAG_SHROUDED_KEY) {
        const der = Buffer.from((bag.bagValue as pkijs.PKCS8ShroudedKeyBag).toSchema().toBER(false))
        keys.push(...fromPkcs8(file, der, false, passphrase).keys)
      } else if (bag.bagId === OID_BAG_KEY) {
        keys.push(createPrivateKey({ key: Buffer.from((bag.bagValue as pkijs.PrivateKeyInfo).toSchema().toBER(false)), format: 'der', type: 'pkcs8' }))
      } else if (bag.bagId === OID_BAG_CERT) {
        const cb = bag.bagValue as pkijs.CertBag
        if (cb.certId !== OID_X509_CERT) continue
        const der = cb.parsedValue instanceof pkijs.Certificate ? cb.parsedValue.toSchema().toBER(false) : (cb.certValue as asn1js.OctetString).valueBlock.valueHexView
        certs.push(new X509Certificate(Buffer.from(der as Uint8Array)))
      }
    }
  }
  if (keys.length === 0 || keys.length > 4) throw fail(file, `the PKCS#12 file holds ${keys.length} private keys; it must hold one to four.`)
  return { keys, certs }
}

async function safeBags(file: string, ci: pkijs.ContentInfo, password: { utf8: ArrayBuffer; bmp: Uint8Array }, crypto: pkijs.ICryptoEngine): Promise<pkijs.SafeBag[]> {
  let der: ArrayBuffer
  if (ci.contentType === OID_DATA) {
    der = (ci.content as asn1js.OctetString).getValue()
  } else if (ci.contentType === OID_ENCRYPTED_DATA) {
    const ed = new pkijs.EncryptedData({ schema: ci.content })
    const alg = ed.encryptedContentInfo.contentEncryptionAlgorithm
    try {
      if (alg.algorithmId === OID_PBES2) der = await ed.decrypt({ password: password.utf8 }, crypto)
      else if (LEGACY_PBE_OIDS.has(alg.algorithmId)) {
        der = decryptLegacyPbe(alg.algorithmId, Buffer.from(alg.algorithmParams.toBER(false)), ed.encryptedContentInfo.getEncryptedContent(), password.bmp)
      } else throw new Error('unsupported')
    } catch (e) {
      if ((e as Error).message === 'unsupported' || (e as Error).message === 'rc2') {
        throw fail(file, 'the certificates in this PKCS#12 file are encrypted with a legacy cipher this program does not implement (RC2); export it again with OpenSSL 3 `openssl pkcs12 -export` without -legacy.')
      }
      throw fail(file, 'the passphrase does not open this PKCS#12 file; check the passphrase file.')
    }
  } else return []
  const asn = asn1js.fromBER(der)
  if (asn.offset === -1) throw fail(file, 'the PKCS#12 file is damaged.')
  return new pkijs.SafeContents({ schema: asn.result }).safeBags
}

/** RFC 7292 Appendix B.1: the password as BMPString (UTF-16BE) with two trailing zero bytes. */
export function pkcs12Password(passphrase: string): Uint8Array {
  const out = new Uint8Array((passphrase.length + 1) * 2)
  for (let i = 0; i < passphrase.length; i++) {
    const c = passphrase.charCodeAt(i)
    out[2 * i] = c >> 8
    out[2 * i + 1] = c & 0xff
  }
  return out
}

function readCerts(file: string): X509Certificate[] {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch {
    throw fail(file, 'the certificate file cannot be read; check the path and its permissions.')
  }
  const text = bytes.toString('latin1')
  try {
    if (!text.includes('-----BEGIN CERTIFICATE-----')) return [new X509Certificate(bytes)]
    return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]))
  } catch {
    throw fail(file, 'this is not an X.509 certificate file (PEM or DER).')
  }
}

/** The leaf is the certificate whose public key is the key's; the rest is the chain. */
function pair(file: string, key: KeyObject, certs: X509Certificate[]): LoadedKey {
  let handle: PrivateKeyHandle
  try {
    handle = keyObjectHandle(key, `file ${file}`)
  } catch {
    throw fail(file, 'the key is neither RSA nor EC P-256, the only kinds an officer key may be (PROTOCOL.md §1.2).')
  }
  const leaf = certs.find((c) => c.checkPrivateKey(key))
  if (leaf === undefined) {
    throw fail(file, certs.length === 0
      ? 'no certificate goes with this key; give its certificate with --cert-file.'
      : 'none of the certificates given belongs to this key; give the matching certificate with --cert-file.')
  }
  return { handle, certificate: leaf, chain: certs.filter((c) => c !== leaf) }
}
