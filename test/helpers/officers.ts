// Classified-information officers for tests (issue 12, classified-design.md §1): per agency a
// registrar and a deputy, each with a personal signing and encryption certificate under the test
// federation's issuing CA, one RSA and one EC P-256 (both kinds proven). The dev CA's 'signing' and
// 'encryption' profiles are the officer profiles' key usages (digitalSignature|nonRepudiation;
// keyEncipherment or keyAgreement); cnode adds the officer-* roles to the directory and validate.ts.
import { X509Certificate } from 'node:crypto'
import type { FederationMaterial } from '../../src/pki/dev-ca.js'
import { issueCertificate, type Issued } from '../../src/pki/dev-issue.js'
import { keyObjectHandle, type PrivateKeyHandle } from '../../src/crypto/keys/handle.js'
import type { AgencyOfficers, DirectoryOfficer } from '../../src/classified/officers.js'
import type { HandleSigner } from '../../src/crypto/cms/signed-data.js'

export interface TestOfficer {
  agency: string
  id: string
  signing: Issued
  encryption: Issued
  entry: DirectoryOfficer
  signer: HandleSigner
  opener: { handle: PrivateKeyHandle; certificate: X509Certificate }
}

const SPECS = [
  { id: 'registrar', role: 'registrar', nameTh: 'นางสาวสมใจ ใจดี', positionTh: 'นายทะเบียนข้อมูลข่าวสารลับ' },
  { id: 'deputy', role: 'deputy', nameTh: 'นายสมชาย รักชาติ', positionTh: 'ผู้ช่วยนายทะเบียนข้อมูลข่าวสารลับ' },
] as const

const made = new Map<FederationMaterial, Promise<Record<string, TestOfficer[]>>>()

/** moi: registrar RSA, deputy EC; mof: registrar EC, deputy RSA; dga: both EC. Memoised per federation. */
export function testOfficers(fed: FederationMaterial): Promise<Record<string, TestOfficer[]>> {
  let p = made.get(fed)
  if (p === undefined) {
    p = make(fed)
    made.set(fed, p)
  }
  return p
}

async function make(fed: FederationMaterial): Promise<Record<string, TestOfficer[]>> {
  const out: Record<string, TestOfficer[]> = {}
  for (const agency of Object.keys(fed.agencies)) {
    out[agency] = []
    for (const [i, s] of SPECS.entries()) {
      const keyType = (agency === 'moi' && i === 0) || (agency === 'mof' && i === 1) ? 'rsa' : 'ec'
      const subject = { commonName: `${s.nameTh} (${agency} ${s.id})`, agencyId: agency }
      const signing = await issueCertificate(fed.intermediate, { role: 'signing', keyType, subject })
      const encryption = await issueCertificate(fed.intermediate, { role: 'encryption', keyType, subject })
      const entry: DirectoryOfficer = {
        id: s.id, role: s.role, nameTh: s.nameTh, positionTh: s.positionTh,
        certificates: { 'officer-signing': [signing.cert.raw.toString('base64')], 'officer-encryption': [encryption.cert.raw.toString('base64')] },
      }
      out[agency]!.push({
        agency, id: s.id, signing, encryption, entry,
        signer: { handle: keyObjectHandle(signing.key), chain: signing.chain },
        opener: { handle: keyObjectHandle(encryption.key), certificate: encryption.cert },
      })
    }
  }
  return out
}

export function directoryOfficers(officers: Record<string, TestOfficer[]>): AgencyOfficers[] {
  return Object.entries(officers).map(([agency, list]) => ({ agency, officers: list.map((o) => o.entry) }))
}
