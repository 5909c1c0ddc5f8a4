// A throwaway federation per test process (house style §12: tests make their own CA).
import { createFederation } from '../../src/pki/dev-ca.js'
import type { AgencySpec, FederationMaterial } from '../../src/pki/dev-ca.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { Directory } from '../../src/pki/directory.js'

export const TEST_AGENCIES: readonly AgencySpec[] = [
  { id: 'moi', nameTh: 'กระทรวงมหาดไทย', nameEn: 'Ministry of Interior', keyType: 'rsa', federationUrl: 'https://127.0.0.1:18443' },
  { id: 'mof', nameTh: 'กระทรวงการคลัง', nameEn: 'Ministry of Finance', keyType: 'ec', federationUrl: 'https://127.0.0.1:18444' },
  { id: 'dga', nameTh: 'สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)', nameEn: 'Digital Government Development Agency', keyType: 'ec', federationUrl: 'https://127.0.0.1:18445' },
]

let mine: Promise<FederationMaterial> | undefined
let foreign: Promise<FederationMaterial> | undefined

/** moi (RSA), mof (EC), dga (EC) under one root; memoised per process. federationUrl values are
 *  placeholders: integration tests that listen on other ports edit a copy of the directory. */
export function testFederation(): Promise<FederationMaterial> {
  // Certificates well beyond expiry.certificateDays (issue 17 item 4), so that /healthz says ok;
  // the directory and CRLs keep their 30 days.
  mine ??= createFederation({ agencies: [...TEST_AGENCIES], validityDays: 400, directoryValidityDays: 30, crlValidityDays: 30, rootCommonName: 'Saraban TEST Root CA' })
  return mine
}

/** A second, independent federation with the same agency ids: its certificates must never be trusted
 *  by testFederation()'s anchors. */
export function foreignFederation(): Promise<FederationMaterial> {
  foreign ??= createFederation({ agencies: [...TEST_AGENCIES], validityDays: 400, directoryValidityDays: 30, crlValidityDays: 30, rootCommonName: 'Foreign TEST Root CA' })
  return foreign
}

/** Anchors (root) + intermediates of the test federation, as a node would build them. */
export async function testTrust(): Promise<{ fed: FederationMaterial; anchors: TrustAnchors; directory: Directory }> {
  const fed = await testFederation()
  const directory = new Directory(fed.directory)
  const anchors = new TrustAnchors([fed.root.cert], { intermediates: directory.intermediates() })
  return { fed, anchors, directory }
}
