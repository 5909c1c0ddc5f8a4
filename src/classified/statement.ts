// Officer statements (PROTOCOL.md §19, classified-design.md §3): CMS SignedData, eContentType id-data,
// attached UTF-8 JSON (schemas/protocol/officer-statement.json), one SignerInfo, the officer's signing
// certificate in `certificates` — what `openssl cms -sign -binary -nodetach -in stmt.json -signer cert
// -inkey key -outform DER` makes. Making is the officer CLI's; verifying is pure (bytes + the
// directory's officers → the statement, or a coded error) so that a node and a CLI share it.
// Whether the officer's certificate chains to the federation roots is for pki/ (validate.ts), run by
// the caller on `certificate`; here the certificate must be one the signed directory lists for the
// officer the statement names.
import type { X509Certificate } from 'node:crypto'
import { SarabanError } from '../errors.js'
import { OID_DATA } from '../crypto/cms/oids.js'
import { CmsSignedError, signCmsWith, verifyCms, type HandleSigner } from '../crypto/cms/signed-data.js'
import { check, schemaIds } from '../schema/index.js'
import { officerBySigningCert, type AgencyOfficers } from './officers.js'
import { parseStrictJsonObject } from '../domain/strict-json.js'

export type StatementType = 'release' | 'opened' | 'destroyed' | 'forwarded' | 'received-by-hand'

export interface OfficerStatement {
  v: 1
  type: StatementType
  agency: string
  officer: string
  at: string
  controlNumber: string
  innerSha256?: string
  copy?: { number: number; of: number }
  messageId?: string
  authority?: string
  committee?: string[]
  toOfficer?: string
  newInnerSha256?: string
}

/** Maximum size of a statement's DER (a JSON of a few hundred bytes and a certificate chain). */
export const MAX_STATEMENT_BYTES = 64 * 1024

const invalid = (detail: string, field?: string): SarabanError =>
  new SarabanError('ERR_STATEMENT_INVALID', detail, field === undefined ? {} : { field })

export function makeStatement(statement: OfficerStatement, signer: HandleSigner, signingTime = new Date(statement.at)): Buffer {
  const checked = check<OfficerStatement>(schemaIds.officerStatement, statement)
  if (!checked.ok) throw invalid(`The statement does not match its schema: ${checked.errors[0]?.field} ${checked.errors[0]?.message}`)
  return signCmsWith(OID_DATA, Buffer.from(JSON.stringify(statement), 'utf8'), [signer], { signingTime }).der
}

/**
 * The checks every reader of a statement makes, officer's software and node alike (PROTOCOL.md
 * §19.4): at most MAX_STATEMENT_BYTES; one CMS SignedData with one valid signature, content type
 * id-data, attached strict UTF-8 JSON that matches the statement schema. Who signed it is the
 * caller's question (the officers of a directory view, or the node's directory and trust anchors).
 * ERR_SIGNATURE_INVALID for a bad signature, ERR_STATEMENT_INVALID for anything else.
 */
export function readStatement(der: Buffer, field = 'statement'): { statement: OfficerStatement; chain: X509Certificate[] } {
  if (der.length > MAX_STATEMENT_BYTES) throw invalid(`The statement is larger than ${MAX_STATEMENT_BYTES} bytes.`, field)
  let v
  try {
    v = verifyCms(der)
  } catch (e) {
    if (e instanceof CmsSignedError) {
      if (e.kind === 'signature') throw new SarabanError('ERR_SIGNATURE_INVALID', 'The signature on the officer statement is not valid.', { field })
      throw invalid(`The statement is not one CMS SignedData signed by one officer (PROTOCOL.md §19.4): ${e.message}.`, field)
    }
    throw e
  }
  if (v.end !== der.length) throw invalid('The statement has bytes after its SignedData.', field)
  if (v.contentType !== OID_DATA) throw invalid('The statement content type must be id-data.', field)
  // PROTOCOL.md §5.6: strict I-JSON, no member name twice.
  const parsed = parseStrictJsonObject(v.payload)
  if (!parsed.ok) throw invalid(`The signed content of the statement ${parsed.detail}.`, field)
  const json: unknown = parsed.value
  const checked = check<OfficerStatement>(schemaIds.officerStatement, json)
  if (!checked.ok) {
    throw new SarabanError('ERR_STATEMENT_INVALID', `The statement does not match its schema: ${checked.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, { field, errors: checked.errors })
  }
  return { statement: checked.value, chain: v.chain }
}

/**
 * Verifies a statement against the officers of the agencies it may come from (the officer's side:
 * the directory view the node serves). ERR_STATEMENT_INVALID for structure, schema or a signer that
 * is not the named officer; ERR_SIGNATURE_INVALID for a bad signature. `expect` pins fields the
 * caller already knows (type, agency, controlNumber, …).
 */
export function verifyStatement(der: Buffer, from: readonly AgencyOfficers[], expect: Partial<OfficerStatement> = {}): { statement: OfficerStatement; certificate: X509Certificate } {
  const { statement, chain } = readStatement(der)
  const certificate = chain[0]!
  const signer = officerBySigningCert(certificate, from)
  if (signer === undefined || signer.agency !== statement.agency || signer.officer !== statement.officer) {
    throw invalid(`The statement is not signed by the officer-signing certificate of ${statement.agency}:${statement.officer} in the directory.`, 'statement')
  }
  for (const [k, want] of Object.entries(expect)) {
    if (JSON.stringify((statement as unknown as Record<string, unknown>)[k]) !== JSON.stringify(want)) throw invalid(`The statement's ${k} is not the expected one.`, `statement/${k}`)
  }
  return { statement, certificate }
}
