// Hosting nodes in the directory (src/pki/directory-index.ts, PROTOCOL.md §16.1–§16.2).
import t from 'tap'
import { Directory, signDirectory, verifyDirectory, type DirectoryDocument } from '../../src/pki/directory.js'
import { fingerprint, toBase64Der } from '../../src/pki/cert.js'
import { SarabanError } from '../../src/errors.js'
import { check, schemaIds } from '../../src/schema/index.js'
import { testTrust } from '../helpers/federation.js'

async function withNode(): Promise<{ doc: DirectoryDocument; nodeTls: string; fed: Awaited<ReturnType<typeof testTrust>>['fed']; anchors: Awaited<ReturnType<typeof testTrust>>['anchors'] }> {
  const { fed, anchors } = await testTrust()
  // Reuse dga's TLS certificate as the hosting node's: dga's own entry no longer lists it.
  const nodeTls = toBase64Der(fed.agencies.dga!.tls.cert)
  const doc: DirectoryDocument = {
    ...fed.directory,
    agencies: fed.directory.agencies.map((a) => (a.id === 'moi' ? a : { ...a, node: 'host-1', endpoints: [], certificates: { ...a.certificates, tls: [] } })),
    nodes: [{ id: 'host-1', endpoints: ['https://host-1.example:8443'], certificates: { tls: [nodeTls] }, agencies: ['mof', 'dga'] }],
  }
  return { doc, nodeTls, fed, anchors }
}

const code = (f: () => unknown) => {
  try {
    f()
    return 'ok'
  } catch (e) {
    return e instanceof SarabanError ? e.code : String(e)
  }
}

t.test('a hosting node speaks for the agencies it lists and is pinned at its endpoint', async (t) => {
  const { doc, nodeTls, fed, anchors } = await withNode()
  t.same(check(schemaIds.directory, doc).ok, true, 'the payload passes the directory schema')
  const jws = await signDirectory(doc, fed.directoryIssuer)
  const dir = new Directory(await verifyDirectory(jws, anchors, new Date()))
  const fp = fingerprint(fed.agencies.dga!.tls.cert)
  t.same(dir.tlsIdentity(fp), { kind: 'node', id: 'host-1', agencies: new Set(['mof', 'dga']) })
  t.equal(dir.agencyByTlsFingerprint(fp), undefined, 'a node certificate is no agency certificate')
  t.same(dir.tlsIdentity(fingerprint(fed.agencies.moi!.tls.cert)), { kind: 'agency', id: 'moi', agencies: new Set(['moi']) })
  t.ok(dir.tlsFingerprintsAt('https://host-1.example:8443').has(fp))
  t.notOk(dir.tlsFingerprintsAt(new URL(fed.agencies.moi!.spec.federationUrl).origin).has(fp), 'not pinned at another origin')
  t.equal(dir.endpointFor('mof'), 'https://host-1.example:8443', 'an agency without endpoints is reached at its node')
  t.equal(dir.nodeOf('dga')?.id, 'host-1')
  t.equal(dir.nodeOf('moi'), undefined)
  t.ok(nodeTls)
})

t.test('a directory whose nodes contradict its agencies is refused', async (t) => {
  const { doc } = await withNode()
  const node = doc.nodes![0]!
  const cases: Array<[string, DirectoryDocument]> = [
    ['a node lists an unknown agency', { ...doc, nodes: [{ ...node, agencies: ['mof', 'nobody'] }] }],
    ['two nodes list one agency', { ...doc, nodes: [node, { ...node, id: 'host-2', certificates: { tls: [] } }] }],
    ['two nodes share an id', { ...doc, nodes: [node, { ...node, agencies: [], certificates: { tls: [] } }] }],
    ['a node has the id of an agency', { ...doc, nodes: [{ ...node, id: 'moi' }] }],
    ['a node certificate is also an agency certificate', { ...doc, nodes: [{ ...node, certificates: { tls: doc.agencies.find((a) => a.id === 'moi')!.certificates.tls } }] }],
    ['an agency names a node that does not list it', { ...doc, nodes: [{ ...node, agencies: ['mof'] }] }],
    ['a malformed node', { ...doc, nodes: [{ ...node, endpoints: ['http://plain.example'] }] }],
  ]
  for (const [what, bad] of cases) t.equal(code(() => new Directory(bad)), 'ERR_DIRECTORY_INVALID', what)
})
