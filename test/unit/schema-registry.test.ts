// The schema files against the code: ids, error titles, config documentation, and the domain tables
// that mirror schema enums. Keeps the normative schemas and the TypeScript from drifting apart.
import t from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { allSchemas, findPackageRoot, loadSchemas, schemaIds, schemas, schemasDir, SchemaRegistry } from '../../src/schema/index.js'
import { LETTER_KINDS, SUB_KINDS } from '../../src/domain/letter.js'
import { URGENCIES } from '../../src/domain/urgency.js'
import { SECRECIES } from '../../src/domain/secrecy.js'
import { SHOWN_STATUSES } from '../../src/domain/delivery.js'
import { LOG_LEVELS } from '../../src/config/index.js'

type Json = Record<string, any>
const doc = (id: string): Json => schemas().schema(id as never) as Json

function walk(node: unknown, visit: (n: Json, path: string) => void, path = ''): void {
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, visit, `${path}/${i}`))
  else if (node !== null && typeof node === 'object') {
    visit(node as Json, path)
    for (const [k, v] of Object.entries(node)) walk(v, visit, `${path}/${k}`)
  }
}

t.test('every file loads by its $id and compiles (strict mode)', async (t) => {
  const r = loadSchemas()
  t.same(r.ids().sort(), Object.values(schemaIds).sort())
  t.equal(schemasDir(), join(findPackageRoot(), 'schemas'))
  for (const s of allSchemas()) t.equal(s.$schema, 'https://json-schema.org/draft/2020-12/schema', `${s.$id} is 2020-12`)
})

t.test('every pattern carries a title, which becomes its error message', async (t) => {
  for (const s of allSchemas()) {
    walk(s, (n, path) => {
      if (typeof n.pattern === 'string') t.type(n.title, 'string', `${s.$id}#${path} has a title`)
    })
  }
})

t.test('config schema: every key described; every optional key has a default', async (t) => {
  const config = doc(schemaIds.config)
  const defs = config.$defs as Json
  const resolve = (n: Json): Json => (typeof n.$ref === 'string' && n.$ref.startsWith('#/$defs/') ? { ...defs[n.$ref.slice(8)], ...n } : n)
  walk(config, (n, path) => {
    if (n.type !== 'object' && n.properties === undefined) return
    const required: string[] = n.required ?? []
    for (const [key, raw] of Object.entries((n.properties ?? {}) as Json)) {
      const prop = resolve(raw as Json)
      t.type(prop.description, 'string', `${path}/properties/${key} has a description`)
      // trust.directory and trust.directoryUrl: exactly one is given (config/checks.ts), so neither has a default;
      // likewise a token key's slot and tokenLabel, its cert (absent: the token's certificate object) and pinFile (absent: SARABAN_PKCS11_PIN)
      if (!required.includes(key) && !['passphraseEnv', 'directory', 'directoryUrl', 'slot', 'tokenLabel', 'cert', 'pinFile'].includes(key)) t.not(prop.default, undefined, `${path}/properties/${key} has a default`)
    }
  })
})

t.test('domain tables mirror the schema enums', async (t) => {
  const letter = doc(schemaIds.letter).$defs as Json
  t.same(letter.kind.enum, [...LETTER_KINDS])
  t.same(letter.subKind.enum, Object.values(SUB_KINDS).flat())
  t.same(letter.urgency.enum, [...URGENCIES])
  t.same(letter.secrecy.enum, [...SECRECIES])
  const rules = letter.kindRules.allOf as Json[]
  for (const kind of LETTER_KINDS) {
    const subKinds: readonly string[] = SUB_KINDS[kind]
    const rule = rules.find((r) => r.if.properties.kind.const === kind || r.if.properties.kind.enum?.includes(kind))!
    if (subKinds.length > 0) t.same(rule.then.properties.subKind.enum, subKinds, kind)
    else t.equal(rule.then.properties.subKind, false, `${kind} has no sub-kinds`)
  }
  t.same(doc(schemaIds.apiLetterStatus).$defs.status.enum, [...SHOWN_STATUSES])
  t.same(doc(schemaIds.config).$defs.logLevel.enum, [...LOG_LEVELS])
})

t.test('the draft is the letter minus the manifest; required lists agree', async (t) => {
  const fields = doc(schemaIds.letter).$defs.fields as Json
  const draft = doc(schemaIds.apiLetterDraft)
  t.same(Object.keys(draft.properties), Object.keys(fields.properties).filter((k) => k !== 'attachments'))
  // sender may be left out of a draft: the node fills it from the API key's one hosted agency.
  t.same(draft.required, (fields.required as string[]).filter((k) => k !== 'attachments' && k !== 'sender'))
  for (const [k, v] of Object.entries(draft.properties as Json)) {
    if (k === 'sender') continue
    t.equal((v as Json).$ref, `${schemaIds.letter}#/$defs/${k}`, `${k} refers to the letter's definition`)
    t.same(Object.keys(v as Json).filter((x) => x !== '$ref' && x !== 'default'), [], `${k} adds nothing but a default`)
    t.equal((v as Json).default, fields.properties[k].default, `${k} has the letter's default`)
  }
  const sender = { ...draft.$defs.sender, required: ['agency', 'name', ...draft.$defs.sender.required] }
  const letterSender = doc(schemaIds.letter).$defs.sender
  t.same({ ...sender, description: '' }, { ...letterSender, description: '' }, 'sender differs only in agency and name being optional')
})

t.test('parameter schemas are self-contained copies of the common definitions', async (t) => {
  const common = doc(schemaIds.common).$defs as Json
  const strip = (n: Json) => Object.fromEntries(Object.entries(n).filter(([k]) => k !== 'description' && k !== 'examples'))
  for (const id of [schemaIds.apiListQuery, schemaIds.apiIdParams, schemaIds.apiAttachmentParams, schemaIds.apiLetterCreateHeaders]) {
    walk(doc(id), (n, path) => t.equal(n.$ref, undefined, `${id}#${path} has no $ref (@fastify/swagger leaves it unresolved in parameters)`))
  }
  t.same(strip(doc(schemaIds.apiIdParams).properties.id), strip(common.uuid))
  t.same(strip(doc(schemaIds.apiAttachmentParams).properties.id), strip(common.uuid))
  t.same(strip(doc(schemaIds.apiAttachmentParams).properties.attachmentId), strip(common.attachmentId))
  t.same(strip(doc(schemaIds.apiListQuery).properties.agency), strip(common.agencyId))
})

t.test('one limit per field: a $ref never keeps a sibling limit (issue 20 §7)', async (t) => {
  const limits = ['maxLength', 'minLength', 'maxItems', 'minItems', 'maximum', 'minimum', 'pattern']
  for (const s of allSchemas()) {
    walk(s, (n, path) => {
      if (typeof n.$ref === 'string') t.same(limits.filter((k) => k in n), [], `${String(s.$id)}${path}: ${n.$ref} with its own limit`)
    })
  }
  const long = { kind: 'EXTERNAL', number: 'มท 1/1', date: '2026-11-25', subject: 'ก'.repeat(5000), salutation: 'เรียน', recipients: [{ agency: 'mof' }], body: 'ข', closing: 'ค', signer: { name: 'ง', position: 'จ' } }
  const r = schemas().check(schemaIds.apiLetterDraft, long)
  t.same(r.ok ? [] : r.errors, [{ field: '/subject', message: 'must be at most 500 characters long' }], 'a 5,000-character subject: one error, the field\'s own limit')
  t.equal(doc(schemaIds.letter).$defs.subject.maxLength, 500, 'and the schema handed to the OpenAPI description says 500')
})

t.test('allSchemas() hands out copies, common first', async (t) => {
  const a = allSchemas()
  t.equal(a[0]!.$id, schemaIds.common)
  a[0]!.$defs.agencyId.pattern = '.*'
  t.not(allSchemas()[0]!.$defs.agencyId.pattern, '.*')
})

t.test('inconsistent schema folders are refused at load, every problem named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-schemas-'))
  mkdirSync(join(dir, 'protocol'))
  writeFileSync(join(dir, 'protocol', 'letter.json'), JSON.stringify({ $id: 'urn:saraban:protocol:common:v1' }))
  writeFileSync(join(dir, 'protocol', 'peer.json'), JSON.stringify({ $id: 'urn:saraban:protocol:peer:v1' }))
  let err: { code?: string; detail?: string } = {}
  try {
    SchemaRegistry.load(dir)
  } catch (e) {
    err = e as typeof err
  }
  t.equal(err.code, 'ERR_INTERNAL')
  t.match(err.detail, /letter\.json: \$id urn:saraban:protocol:common:v1 should be urn:saraban:protocol:letter:v1/)
  t.match(err.detail, /peer\.json: \$id urn:saraban:protocol:peer:v1 is not in src\/schema\/ids\.ts/)
  t.match(err.detail, /no file under .* has \$id urn:saraban:api:problem:v1/)
})

t.test('package root is found from src/ and from a dist/src/ layout', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'saraban-root-'))
  writeFileSync(join(root, 'package.json'), '{}')
  mkdirSync(join(root, 'schemas'))
  mkdirSync(join(root, 'dist', 'src', 'schema'), { recursive: true })
  writeFileSync(join(root, 'dist', 'package.json'), '{}') // a package.json without schemas/ is skipped
  t.equal(findPackageRoot(pathToFileURL(join(root, 'dist', 'src', 'schema', 'locate.js')).href), root)
  t.equal(findPackageRoot(), join(import.meta.dirname, '..', '..'))
  t.ok(readFileSync(join(findPackageRoot(), 'schemas', 'config.json')))
})
