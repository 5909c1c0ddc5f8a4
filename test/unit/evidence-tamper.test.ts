// PROTOCOL.md §8.6: any single-byte change to any part of an evidence bundle fails verification
// with a finding that names the part. Bytes are flipped systematically: in every tar header (each
// field), at the start, middle and end of every content, in padding and in the end-of-archive
// blocks; then again with the manifest re-made to match the change (an attacker who recomputes the
// digests), where only the signatures, time-stamps and CRL checks can catch it.
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { buildEvidenceArchive, verifyEvidence } from '../../src/services/evidence/index.js'
import { readLayout } from '../../src/evidence/layout.js'
import { BLOCK, padding, writeTar } from '../../src/evidence/tar.js'
import { checksumsFile, encodeManifest, MANIFEST_PATH, type Manifest } from '../../src/evidence/manifest.js'
import { auditorReadme } from '../../src/evidence/auditor-readme.js'
import { verifyTimeStampToken } from '../../src/tsa/index.js'
import { testFederation } from '../helpers/federation.js'
import { opensslTsa, sendAndAcknowledge, testCrl } from './evidence-fixture.js'

const fed = await testFederation()
const profiles = defaultProfiles()
const tsa = opensslTsa(fed)
t.teardown(() => tsa.close())
const anchors = new TrustAnchors([fed.root.cert]) // shared: its cache makes the many runs cheap
// One letter, two profiles: mof gets jose-v1, dga cms-v1 (with its auditor prefix).
const sent = await sendAndAcknowledge({ fed, profile: (to) => (to === 'mof' ? joseV1 : cmsV1), to: ['mof', 'dga'], attachments: [Buffer.alloc(3000, 0x25), Buffer.from('short')] })
const crls = [await testCrl(fed, { by: 'intermediate' }), await testCrl(fed, { by: 'root' })]
const archive = await buildEvidenceArchive({
  clock: { now: () => Date.now() }, profiles, directoryJws: () => fed.directoryJws, crlsAt: () => crls, tokensFor: tsa.tokensFor(sent),
}, sent.letter, sent.messages)
const verify = (bytes: Buffer) => verifyEvidence(bytes, { anchors, profiles, verifyTimeStampToken, strict: true })
const manifest = readLayout(archive).manifest!

t.test('the untouched bundle passes, strictly: every time proven, every certificate covered by a CRL', async (t) => {
  const r = await verify(archive)
  t.ok(r.ok, JSON.stringify(r.findings.filter((f) => !f.ok)))
  t.strictSame(r.weak, [])
  t.ok(manifest.parts.some((p) => p.role === 'auditor-prefix') && manifest.parts.some((p) => p.role === 'crl') && manifest.parts.some((p) => p.role === 'letter-timestamp') && manifest.parts.some((p) => p.role === 'receipt-timestamp'))
})

// Where each entry lies in the archive, from the manifest.
interface Region { path: string; header: number; content: number; size: number }
const regions: Region[] = []
{
  let off = 0
  const manifestSize = readLayout(archive).contents.get(MANIFEST_PATH)!.length
  for (const e of [{ path: MANIFEST_PATH, size: manifestSize }, ...manifest.parts]) {
    regions.push({ path: e.path, header: off, content: off + BLOCK, size: e.size })
    off += BLOCK + e.size + padding(e.size)
  }
}
const end = archive.length - 2 * BLOCK

const HEADER_FIELDS = [0, 5, 99, 100, 108, 116, 124, 130, 135, 136, 147, 148, 153, 154, 155, 156, 157, 257, 262, 263, 265, 329, 337, 345, 500, 511]

function flipped(at: number): Buffer {
  const copy = Buffer.from(archive)
  copy[at]! ^= 0x01
  return copy
}

async function expectNamed(t: Test, bytes: Buffer, part: string, what: string): Promise<void> {
  const r = await verify(bytes)
  const named = r.findings.some((f) => !f.ok && f.part.includes(part))
  t.ok(!r.ok && named, `${what}: fails naming ${part}`, named ? {} : { failing: r.findings.filter((f) => !f.ok) })
}

t.test('a flipped byte in any header field, content or padding is blamed on its part', async (t) => {
  for (const [i, r] of regions.entries()) {
    // Every header field is flipped in the manifest's header; the others take turns (3 fields each,
    // so that across the parts every field is flipped more than once).
    const fields = i === 0 ? HEADER_FIELDS : [0, 1, 2].map((k) => HEADER_FIELDS[(i * 3 + k) % HEADER_FIELDS.length]!)
    for (const f of fields) await expectNamed(t, flipped(r.header + f), r.path, `${r.path} header byte ${f}`)
    const offsets = r.size === 0 ? [] : [...new Set([0, Math.floor(r.size / 2), r.size - 1])]
    for (const o of offsets) await expectNamed(t, flipped(r.content + o), r.path, `${r.path} content byte ${o}/${r.size}`)
    const pad = padding(r.size)
    if (pad > 0) for (const o of [0, pad - 1]) await expectNamed(t, flipped(r.content + r.size + o), r.path, `${r.path} padding byte ${o}`)
  }
  for (const o of [0, 511, 512, 1023]) await expectNamed(t, flipped(end + o), 'end of archive', `end-of-archive byte ${o}`)
})

t.test('bytes cut off or added at the end are found', async (t) => {
  await expectNamed(t, archive.subarray(0, archive.length - BLOCK), 'end of archive', 'one NUL block short')
  await expectNamed(t, Buffer.concat([archive, Buffer.alloc(BLOCK)]), 'end of archive', 'one NUL block more')
  const r = await verify(archive.subarray(0, regions.at(-1)!.content + 10))
  t.notOk(r.ok, 'truncated inside the last part')
})

// The attacker's version: change one byte of a part, then re-make manifest, SHA256SUMS and README
// so that every digest matches. Only the cryptographic checks are left to catch it.
function resealed(path: string, offset: number): Buffer {
  const contents = readLayout(archive).contents
  const files = new Map<string, Buffer>()
  for (const p of manifest.parts) files.set(p.path, Buffer.from(contents.get(p.path)!))
  files.get(path)![offset]! ^= 0x01
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
  const parts = manifest.parts.map((p) => ({ ...p, sha256: sha(files.get(p.path)!) }))
  const m: Omit<Manifest, 'manifestSha256'> = { ...manifest, parts }
  files.set('README.txt', auditorReadme(m, m.messages))
  const described = parts.filter((p) => p.path !== 'SHA256SUMS').map((p) => ({ ...p, sha256: sha(files.get(p.path)!) }))
  files.set('SHA256SUMS', checksumsFile(described))
  const final = parts.map((p) => ({ ...p, sha256: sha(files.get(p.path)!), size: files.get(p.path)!.length }))
  const bytes = encodeManifest({ ...m, parts: final })
  return writeTar([{ path: MANIFEST_PATH, data: bytes }, ...final.map((p) => ({ path: p.path, data: files.get(p.path)! }))], Math.floor(Date.parse(manifest.generatedAt) / 1000))
}

t.test('with digests recomputed, the signatures still catch a change to any signed or derived part', async (t) => {
  const substantive = manifest.parts.filter((p) => !['readme', 'checksums'].includes(p.role))
  for (const p of substantive) {
    for (const o of [...new Set([Math.floor(p.size / 3), Math.floor(p.size / 2), p.size - 40])].filter((x) => x >= 0 && x < p.size)) {
      await expectNamed(t, resealed(p.path, o), p.path, `${p.role} ${p.path} byte ${o}, digests recomputed`)
    }
  }
})
