// Issuing hundreds of EC P-256 certificates quickly, for tests that host many agencies. dev-issue.ts
// goes through WebCrypto, whose every call waits for the libuv thread pool (≈ 3–5 ms each on a small
// VM, ≈ 30 ms per certificate); here keys are made and the TBS is signed with node:crypto's
// synchronous calls (≈ 1 ms per certificate). Same profiles as dev-issue.ts (validate.ts ROLE_RULES).
import { createHash, generateKeyPairSync, randomBytes, sign, webcrypto, X509Certificate } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { toPem } from '../../src/pki/cert.js'
import type { Issued } from '../../src/pki/dev-issue.js'
import { OID_AT_COMMON_NAME, OID_EKU_CLIENT_AUTH, OID_EKU_SERVER_AUTH } from '../../src/pki/oids.js'

const F = x509.KeyUsageFlags

function extensions(role: 'tls' | 'signing' | 'encryption'): x509.Extension[] {
  const bc = new x509.BasicConstraintsExtension(false, undefined, true)
  switch (role) {
    case 'tls':
      return [bc, new x509.KeyUsagesExtension(F.digitalSignature, true), new x509.ExtendedKeyUsageExtension([OID_EKU_SERVER_AUTH, OID_EKU_CLIENT_AUTH], false),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }], false)]
    case 'signing':
      return [bc, new x509.KeyUsagesExtension(F.digitalSignature | F.nonRepudiation, true)]
    case 'encryption':
      return [bc, new x509.KeyUsagesExtension(F.keyAgreement, true)]
  }
}

/** An issuer of EC P-256 leaf certificates under `ca` (whose key must be EC P-256). */
export function fastIssuer(ca: Issued) {
  const caCert = new x509.X509Certificate(ca.cert.raw)
  const aki = caCert.getExtension(x509.SubjectKeyIdentifierExtension)
  // WebCrypto-shaped provider whose sign is node:crypto's synchronous ECDSA (IEEE P1363, as WebCrypto).
  const provider = {
    getRandomValues: <T extends ArrayBufferView>(a: T) => webcrypto.getRandomValues(a as never) as T,
    subtle: { sign: async (_alg: unknown, _key: unknown, data: ArrayBuffer) => sign('sha256', Buffer.from(data), { key: ca.key, dsaEncoding: 'ieee-p1363' }) },
  }
  return async (role: 'tls' | 'signing' | 'encryption', commonName: string, validity: { notBefore: Date; notAfter: Date }): Promise<Issued> => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    const spki = publicKey.export({ type: 'spki', format: 'der' })
    const serial = randomBytes(16)
    serial[0] = (serial[0]! & 0x7f) | 0x40
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString('hex'),
      subject: new x509.Name([{ [OID_AT_COMMON_NAME]: [{ utf8String: commonName }] }]),
      issuer: caCert.subjectName,
      ...validity,
      publicKey: spki,
      signingKey: { algorithm: { name: 'ECDSA', namedCurve: 'P-256' }, type: 'private' } as never,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        ...extensions(role),
        new x509.SubjectKeyIdentifierExtension(createHash('sha1').update(spki).digest('hex')),
        ...(aki ? [new x509.AuthorityKeyIdentifierExtension(aki.keyId, false)] : []),
      ],
    }, provider as never)
    const leaf = new X509Certificate(Buffer.from(cert.rawData))
    const chain = [leaf, ...ca.chain]
    return {
      key: privateKey, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert: leaf, certPem: toPem(leaf),
      chain, chainPem: chain.map(toPem).join(''),
    }
  }
}
