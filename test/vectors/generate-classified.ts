// Generates the classified-letter vectors (PROTOCOL.md §19, classified-design.md §2-3): inner envelopes
// and officer statements that another implementation opens with the VECTOR officer keys stored beside
// them (test/vectors/classified/keys/: test material, published on purpose, never trust it).
//   npx tsx test/vectors/generate-classified.ts              (keeps the keys)
//   npx tsx test/vectors/generate-classified.ts --new-keys
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encryptInner, signInner } from '../../src/classified/inner/seal.js'
import type { ClassifiedLetter } from '../../src/classified/inner/types.js'
import type { AgencyOfficers, DirectoryOfficer } from '../../src/classified/officers.js'
import { makeStatement } from '../../src/classified/statement.js'
import { sealAuthEnvelopedFor } from '../../src/crypto/cms/auth-enveloped.js'
import { OID_DATA } from '../../src/crypto/cms/oids.js'
import { signCmsWith, type HandleSigner } from '../../src/crypto/cms/signed-data.js'
import { keyObjectHandle, type PrivateKeyHandle } from '../../src/crypto/keys/handle.js'
import { parsePemChain, toPem } from '../../src/pki/cert.js'
import { createRootCa, issueCertificate } from '../../src/pki/dev-issue.js'
import { sampleLetter } from './fixtures.js'

const DIR = fileURLToPath(new URL('./classified/', import.meta.url))
const KEYS = join(DIR, 'keys')
const OFFICERS = [
  { agency: 'moi', id: 'registrar', role: 'registrar', keyType: 'rsa', nameTh: 'นางสาวสมใจ ใจดี', positionTh: 'นายทะเบียนข้อมูลข่าวสารลับ' },
  { agency: 'moi', id: 'deputy', role: 'deputy', keyType: 'ec', nameTh: 'นายสมชาย รักชาติ', positionTh: 'ผู้ช่วยนายทะเบียนข้อมูลข่าวสารลับ' },
  { agency: 'mof', id: 'registrar', role: 'registrar', keyType: 'ec', nameTh: 'นางสาวมาลี ศรีสุข', positionTh: 'นายทะเบียนข้อมูลข่าวสารลับ' },
  { agency: 'mof', id: 'deputy', role: 'deputy', keyType: 'rsa', nameTh: 'นายวิชัย มั่นคง', positionTh: 'ผู้ช่วยนายทะเบียนข้อมูลข่าวสารลับ' },
  { agency: 'dga', id: 'registrar', role: 'registrar', keyType: 'ec', nameTh: 'นางสุดา ตั้งใจ', positionTh: 'นายทะเบียนข้อมูลข่าวสารลับ' },
] as const

const name = (o: { agency: string; id: string }, kind: 'sign' | 'enc', part: 'key' | 'crt'): string => join(KEYS, `${o.agency}-${o.id}.${kind}.${part}.pem`)

async function newKeys(): Promise<void> {
  rmSync(KEYS, { recursive: true, force: true })
  mkdirSync(KEYS, { recursive: true })
  const notBefore = new Date('2026-01-01T00:00:00Z'), notAfter = new Date('2036-01-01T00:00:00Z')
  const root = await createRootCa({ subject: { commonName: 'Saraban VECTOR Root CA (classified vectors: never trust)' }, keyType: 'ec-p256', notBefore, notAfter })
  writeFileSync(join(KEYS, 'root.crt.pem'), root.certPem)
  for (const o of OFFICERS) {
    for (const kind of ['sign', 'enc'] as const) {
      const i = await issueCertificate(root, { role: kind === 'sign' ? 'signing' : 'encryption', keyType: o.keyType, subject: { commonName: `VECTOR ${o.agency} ${o.id} ${kind}`, agencyId: o.agency }, notBefore, notAfter })
      writeFileSync(name(o, kind, 'key'), i.keyPem)
      writeFileSync(name(o, kind, 'crt'), toPem(i.cert))
    }
  }
}

interface Loaded { agency: string; id: string; signer: HandleSigner; encCert: X509Certificate; encHandle: PrivateKeyHandle; entry: DirectoryOfficer }
function load(): Loaded[] {
  return OFFICERS.map((o) => {
    const sCert = parsePemChain(readFileSync(name(o, 'sign', 'crt'), 'utf8'))[0]!
    const eCert = parsePemChain(readFileSync(name(o, 'enc', 'crt'), 'utf8'))[0]!
    return {
      agency: o.agency, id: o.id,
      signer: { handle: keyObjectHandle(createPrivateKey(readFileSync(name(o, 'sign', 'key')))), chain: [sCert] },
      encCert: eCert, encHandle: keyObjectHandle(createPrivateKey(readFileSync(name(o, 'enc', 'key')))),
      entry: { id: o.id, role: o.role, nameTh: o.nameTh, positionTh: o.positionTh, certificates: { 'officer-signing': [sCert.raw.toString('base64')], 'officer-encryption': [eCert.raw.toString('base64')] } },
    }
  })
}

if (process.argv.includes('--new-keys') || !existsSync(join(KEYS, 'root.crt.pem'))) await newKeys()
const L = load()
const of = (agency: string, id: string): Loaded => L.find((o) => o.agency === agency && o.id === id)!
const directory: AgencyOfficers[] = ['moi', 'mof', 'dga'].map((a) => ({ agency: a, officers: L.filter((o) => o.agency === a).map((o) => o.entry) }))
const AT = new Date('2026-12-05T08:00:00.000Z')
const att = Buffer.from('%PDF-1.7\n% VECTOR classified attachment ไฟล์แนบลับ\n', 'utf8')

function letterOf(level: ClassifiedLetter['level'], controlNumber: string): ClassifiedLetter {
  const l = sampleLetter('moi', 'mof', [att])
  return { v: 1, controlNumber, from: 'moi', to: ['mof'], level, copy: { number: 1, of: 2 }, addressees: [{ agency: 'mof', officer: 'registrar', position: 'ปลัดกระทรวงการคลัง' }], letter: { ...l, secrecy: level } }
}
const recipients = [of('mof', 'registrar'), of('mof', 'deputy'), of('moi', 'registrar'), of('moi', 'deputy')].map((o) => o.encCert)
const signedBy = (l: ClassifiedLetter, ...s: Loaded[]): Buffer => signInner(l, [att], s.map((o) => o.signer), { signingTime: AT })

interface InnerCase { file: string; description: string; openWith: string[]; level?: string; signers?: string[]; error?: string; errorFor?: string; bytes: Buffer }
const secret = letterOf('SECRET', 'moi-2569-000101')
const altered = (b: Buffer): Buffer => { const c = Buffer.from(b); c[c.length - 30] = c[c.length - 30]! ^ 0x01; return c }
const badBundle = Buffer.concat([Buffer.from(JSON.stringify(letterOf('CONFIDENTIAL', 'moi-2569-000105'))), Buffer.from([0x0a]), Buffer.from(att.toString().replace('VECTOR', 'vector'))])
const INNER: InnerCase[] = [
  { file: '01-secret-two-signers.p7m', description: 'SECRET, signed by moi registrar (RSA PKCS#1 v1.5) and moi deputy (ECDSA); sealed to mof registrar (EC, KeyAgree), mof deputy (RSA-OAEP, KeyTrans) and both moi officers', openWith: ['mof-registrar', 'mof-deputy', 'moi-registrar', 'moi-deputy'], level: 'SECRET', signers: ['moi:registrar', 'moi:deputy'], bytes: encryptInner(signedBy(secret, of('moi', 'registrar'), of('moi', 'deputy')), recipients).inner },
  { file: '02-confidential-one-signer.p7m', description: 'CONFIDENTIAL, signed by moi deputy (ECDSA) alone; sealed to the four officers', openWith: ['mof-registrar', 'mof-deputy'], level: 'CONFIDENTIAL', signers: ['moi:deputy'], bytes: encryptInner(signedBy(letterOf('CONFIDENTIAL', 'moi-2569-000102'), of('moi', 'deputy')), recipients).inner },
  { file: '03-secret-one-signer.p7m', description: 'SECRET signed by one officer: decrypts and verifies, refused by the level rule', openWith: ['mof-registrar'], level: 'SECRET', signers: ['moi:registrar'], error: 'ERR_CLASSIFIED_SIGNERS', bytes: encryptInner(signedBy(letterOf('SECRET', 'moi-2569-000103'), of('moi', 'registrar')), recipients).inner },
  { file: '04-altered-ciphertext.p7m', description: 'case 01 with one bit of the encrypted content flipped: the GCM tag fails', openWith: ['mof-registrar'], error: 'ERR_DECRYPT_FAILED', bytes: altered(encryptInner(signedBy(secret, of('moi', 'registrar'), of('moi', 'deputy')), recipients).inner) },
  { file: '05-attachment-digest.p7m', description: 'validly signed, but the attachment differs from its manifest digest', openWith: ['mof-registrar'], error: 'ERR_ATTACHMENT_DIGEST_MISMATCH', bytes: sealAuthEnvelopedFor([signCmsWith(OID_DATA, badBundle, [of('moi', 'registrar').signer], { signingTime: AT }).der], recipients).envelope },
  { file: '06-not-for-mof.p7m', description: 'sealed to dga registrar only: mof registrar finds no RecipientInfo for its certificate', openWith: ['dga-registrar'], level: 'CONFIDENTIAL', signers: ['moi:registrar'], error: 'ERR_CLASSIFIED_NOT_FOR_YOU', errorFor: 'mof-registrar', bytes: encryptInner(signedBy(letterOf('CONFIDENTIAL', 'moi-2569-000106'), of('moi', 'registrar')), [of('dga', 'registrar').encCert]).inner },
]

interface StmtCase { file: string; description: string; error?: string; bytes: Buffer }
const innerSha = createHash('sha256').update(INNER[0]!.bytes).digest('hex')
const opened = { v: 1 as const, type: 'opened' as const, agency: 'mof', officer: 'registrar', at: AT.toISOString(), controlNumber: 'moi-2569-000101', innerSha256: innerSha, copy: { number: 1, of: 2 }, messageId: '5a2a0ba0-0000-4000-8000-000000000101' }
const release = { v: 1 as const, type: 'release' as const, agency: 'moi', officer: 'registrar', at: AT.toISOString(), controlNumber: 'moi-2569-000101', innerSha256: innerSha }
const STATEMENTS: StmtCase[] = [
  { file: '01-opened.p7s', description: 'mof registrar (ECDSA) opened copy 1 of 2 of moi-2569-000101', bytes: makeStatement(opened, of('mof', 'registrar').signer) },
  { file: '02-release.p7s', description: 'moi registrar (RSA) releases the inner envelope of case inner/01', bytes: makeStatement(release, of('moi', 'registrar').signer) },
  { file: '03-wrong-officer.p7s', description: 'names mof registrar but is signed by mof deputy', error: 'ERR_STATEMENT_INVALID', bytes: makeStatement({ ...opened, officer: 'registrar' }, of('mof', 'deputy').signer) },
  { file: '04-altered.p7s', description: '01 with one bit of the signed JSON flipped', error: 'ERR_SIGNATURE_INVALID', bytes: (() => { const b = Buffer.from(STATEMENTS_01()); const i = b.indexOf(Buffer.from('"registrar"')); b[i + 1] = b[i + 1]! ^ 0x20; return b })() },
]
function STATEMENTS_01(): Buffer { return makeStatement(opened, of('mof', 'registrar').signer) }

for (const sub of ['inner', 'statements']) {
  mkdirSync(join(DIR, sub), { recursive: true })
  for (const f of readdirSync(join(DIR, sub))) rmSync(join(DIR, sub, f))
}
for (const c of INNER) writeFileSync(join(DIR, 'inner', c.file), c.bytes)
for (const c of STATEMENTS) writeFileSync(join(DIR, 'statements', c.file), c.bytes)
writeFileSync(join(DIR, 'cases.json'), JSON.stringify({
  description: 'Classified-letter vectors (PROTOCOL.md §19). TEST KEYS ONLY (keys/): never trust them. Keys are named <agency>-<officer>.<sign|enc>.<key|crt>.pem.',
  attachmentSha256: createHash('sha256').update(att).digest('hex'),
  officers: directory,
  inner: INNER.map(({ bytes, ...c }) => ({ ...c, sha256: createHash('sha256').update(bytes).digest('hex') })),
  statements: STATEMENTS.map(({ bytes: _b, ...c }) => c),
}, null, 2) + '\n')
process.stdout.write(`wrote ${INNER.length} inner envelopes and ${STATEMENTS.length} statements to ${DIR}\n`)
