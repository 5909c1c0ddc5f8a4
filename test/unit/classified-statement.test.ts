// The node's checks of officer statements (PROTOCOL.md §19.4) and the canonical access-record
// encoding (§19.7), without nodes: statements signed here with the CMS code of cms-v1 (the
// integration test makes them with openssl instead).
import t from 'tap'
import { createFederation } from '../../src/pki/dev-ca.js'
import { Directory } from '../../src/pki/directory.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { signCms } from '../../src/crypto/cms/signed-data.js'
import { OID_DATA } from '../../src/crypto/cms/oids.js'
import { verifyStatement } from '../../src/services/classified/statement.js'
import { canonicalJson } from '../../src/domain/canonical-json.js'
import { RULES } from '../../src/services/classified/rules.js'
import { SarabanError } from '../../src/errors.js'
import { TEST_AGENCIES } from '../helpers/federation.js'

const fed = await createFederation({
  agencies: [{ ...TEST_AGENCIES[0]!, officers: [{ id: 'registrar', role: 'registrar', nameTh: 'ก', positionTh: 'นายทะเบียน', keyType: 'ec' }] }],
  validityDays: 30,
})
const directory = new Directory(fed.directory)
const deps = { directory: () => directory, anchors: new TrustAnchors([fed.root.cert], { intermediates: directory.intermediates() }), clock: { now: () => Date.now() } }
const reg = fed.agencies.moi!.officers.registrar!
const inner = 'a'.repeat(64)
const body = { v: 1, type: 'release', agency: 'moi', officer: 'registrar', at: new Date().toISOString(), controlNumber: 'moi-2569-000001', innerSha256: inner }
const signed = (json: object, signer = { agency: 'moi', key: reg.signing.key, chain: reg.signing.chain }, ct = OID_DATA) =>
  signCms(ct, Buffer.from(JSON.stringify(json)), signer).der.toString('base64')
const code = async (p: Promise<unknown>) => p.then(() => 'accepted', (e: unknown) => (e instanceof SarabanError ? e.code : String(e)))
const expect = { type: 'release' as const, agency: 'moi', innerSha256: inner }

t.test('a release by the officer it names is accepted', async (t) => {
  const v = await verifyStatement(deps, signed(body), expect, '/releases/0')
  t.equal(v.officer.id, 'registrar')
})

t.test('refusals', async (t) => {
  t.equal(await code(verifyStatement(deps, signed({ ...body, innerSha256: 'b'.repeat(64) }), expect, '/r')), 'ERR_STATEMENT_INVALID', 'other inner bytes')
  t.equal(await code(verifyStatement(deps, signed({ ...body, type: 'opened' }), expect, '/r')), 'ERR_STATEMENT_INVALID', 'another type (and its schema)')
  t.equal(await code(verifyStatement(deps, signed({ ...body, officer: 'deputy' }), expect, '/r')), 'ERR_OFFICER_UNTRUSTED', 'names another officer')
  const agencySigner = { agency: 'moi', key: fed.agencies.moi!.signing.key, chain: fed.agencies.moi!.signing.chain }
  t.equal(await code(verifyStatement(deps, signed(body, agencySigner), expect, '/r')), 'ERR_OFFICER_UNTRUSTED', 'the agency key is not an officer key')
  t.equal(await code(verifyStatement(deps, signed(body, undefined, '1.2.840.113549.1.9.16.1.4'), expect, '/r')), 'ERR_STATEMENT_INVALID', 'not id-data')
  t.equal(await code(verifyStatement(deps, 'bm90IGNtcw==', expect, '/r')), 'ERR_STATEMENT_INVALID', 'not CMS')
  t.equal(await code(verifyStatement(deps, 'not base64!', expect, '/r')), 'ERR_REQUEST_INVALID')
})

t.test('canonical JSON (RFC 8785 for the access record)', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: 'ไทย', c: [true, null] }, z: undefined }), '{"a":{"c":[true,null],"d":"ไทย"},"b":1}')
  t.throws(() => canonicalJson({ x: 1.5 }))
  t.ok(Object.keys(RULES).every((r) => /^[a-z-]+$/.test(r) && RULES[r as keyof typeof RULES].startsWith('§')), 'every rule names its section')
})
