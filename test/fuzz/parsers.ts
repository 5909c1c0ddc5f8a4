// Fuzz target: the parsers a stranger's bytes reach, called directly (issue 13 §4): the BER/DER
// reader, the CMS SignedData and AuthEnvelopedData readers, the JWE (compact and flattened) and JWS
// compact parsers, and the evidence archive reader/verifier (a ustar archive). Multipart is parsed by
// @fastify/multipart and fuzzed through the API target. Oracle: a parser returns or throws one of
// the coded errors it is documented to throw (SarabanError, DerError, CmsSignedError); anything else
// (TypeError, RangeError, a Node error) is a crash, and a call over 2 s is a hang.
import { readTlv, children, DerError, type Tlv } from '../../src/crypto/cms/der-read.js'
import { verifyCms, CmsSignedError } from '../../src/crypto/cms/signed-data.js'
import { parseAuthEnveloped } from '../../src/crypto/cms/auth-enveloped.js'
import { parseV1Envelope } from '../../src/crypto/jose/v1-header.js'
import { parseV2Envelope } from '../../src/crypto/jose/v2-envelope.js'
import { verifyCompact } from '../../src/crypto/jose/jws.js'
import { verifyEvidence } from '../../src/services/evidence/index.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { isSarabanError } from '../../src/errors.js'
import { BLOCK } from '../../src/evidence/tar.js'
import { testNet, thaiLetter, call, waitForRecipient } from '../helpers/nodes.js'
import type { Rng } from '../helpers/prng.js'
import { letterJws } from '../vectors/craft.js'
import { signedLetter } from '../vectors/cms-craft.js'
import { mutateBer, mutateBytes, mutateCompact, mutateX5c, x5cKeyUndecodable, type Mutated } from './mutate.js'
import type { Outcome } from './oracle.js'
import type { Target } from './engine.js'

const SLOW_MS = 2000

/** Every element of a BER tree, read with the strict reader (throws DerError on the first bad one). */
function walk(buf: Buffer, t: Tlv, depth = 0): number {
  let n = 1
  if (t.constructed) for (const c of children(buf, t, depth)) n += walk(buf, c, depth + 1)
  return n
}

/** Tar-aware changes: one field of one 512-byte header (name, size, checksum, type), or bytes. */
function mutateTar(rng: Rng, archive: Buffer): Mutated {
  if (rng.chance(0.4)) return mutateBytes(rng, archive)
  const headers: number[] = []
  for (let off = 0; off + BLOCK <= archive.length; off += BLOCK) {
    const h = archive.subarray(off, off + BLOCK)
    if (h.toString('latin1', 257, 262) === 'ustar') headers.push(off)
  }
  const off = headers.length ? rng.pick(headers) : 0
  const out = Buffer.from(archive)
  const field = rng.pick([[0, 100, 'name'], [124, 12, 'size'], [148, 8, 'chksum'], [156, 1, 'type'], [345, 155, 'prefix']] as const)
  const value = rng.pick(['', '../../etc/passwd', '77777777777', '0', '-1', '99999999999999999999', '\u0000', 'ก', 'x'.repeat(200), '5', 'L'])
  Buffer.from(value.padEnd(field[1], '\0').slice(0, field[1]), 'latin1').copy(out, off + field[0])
  return { bytes: out, name: `tar.${field[2]}` }
}

export async function parsersTarget(): Promise<Target> {
  // Real inputs to start from: a signed letter and envelopes of each profile, and an evidence archive.
  const net = await testNet(['moi', 'mof'])
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
  const moi = net.nodes.moi!
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']), attachments: [{ filename: 'a.pdf', mediaType: 'application/pdf', content: Buffer.from('%PDF-1.4 x').toString('base64') }] })
  await waitForRecipient(moi, sent.body.id, 'delivered')
  const evidence = (await call(moi, 'GET', `/api/v1/letters/${sent.body.id}/evidence`)).body as Buffer
  const fed = net.fed
  const profiles = defaultProfiles()
  const a = fed.agencies.moi!
  const input = {
    messageId: '5a2a0ba0-0000-4000-8000-000000000001', from: 'moi', to: 'mof', sentAt: new Date().toISOString(),
    letter: { ...thaiLetter(['mof']), attachments: [] }, attachments: [],
    signer: { agency: 'moi', key: a.signing.key, chain: a.signing.chain }, recipientCert: fed.agencies.mof!.encryption.cert,
  }
  const cmsSigned = signedLetter(input)
  const cmsEnvelope = (await profiles.get('cms-v1').seal(input)).envelope
  const joseV1 = (await profiles.get('jose-v1').seal(input)).envelope
  const joseV2 = (await profiles.get('jose-v2').seal(input)).envelope
  const jws = letterJws(input)
  await net.stop()

  const PARSERS: ReadonlyArray<{ name: string; base: Buffer; mutate: (rng: Rng, b: Buffer) => Mutated; run: (b: Buffer) => unknown }> = [
    { name: 'der-read', base: cmsSigned, mutate: mutateBer, run: (b) => walk(b, readTlv(b, 0)) },
    { name: 'verifyCms', base: cmsSigned, mutate: mutateBer, run: (b) => verifyCms(b) },
    { name: 'parseAuthEnveloped', base: cmsEnvelope, mutate: mutateBer, run: (b) => parseAuthEnveloped(b) },
    { name: 'parseV1Envelope', base: joseV1, mutate: (r, b) => mutateCompact(r, b, ['header', 'ek', 'iv', 'ct', 'tag']), run: (b) => parseV1Envelope(b) },
    { name: 'parseV2Envelope', base: joseV2, mutate: mutateBytes, run: (b) => parseV2Envelope(b) },
    { name: 'verifyCompact', base: jws, mutate: (r, b) => (r.chance(0.4) ? mutateX5c(r, b) : mutateCompact(r, b, ['header', 'payload', 'signature'])), run: (b) => verifyCompact(b, 'saraban-letter+jws') },
    { name: 'verifyEvidence', base: evidence, mutate: mutateTar, run: (b) => verifyEvidence(b, { anchors: new TrustAnchors([fed.root.cert]), profiles }) },
  ]

  const one = async (rng: Rng): Promise<Outcome> => {
    const p = rng.pick(PARSERS)
    const m = p.mutate(rng, p.base)
    const input = `${p.name} ${m.name}${p.name === 'verifyCompact' && x5cKeyUndecodable(m.bytes) ? ' [x5c-key-undecodable]' : ''}`
    const repro = { parser: p.name, input: m.bytes.length <= 1 << 20 ? m.bytes.toString('base64') : `(${m.bytes.length} bytes)` }
    const t0 = performance.now()
    let status = 'ok'
    const violations: string[] = []
    try {
      await p.run(m.bytes)
    } catch (e) {
      if (isSarabanError(e)) status = `SarabanError ${e.code}`
      else if (e instanceof DerError || e instanceof CmsSignedError) status = (e as Error).constructor.name
      else {
        status = (e as Error)?.constructor?.name ?? typeof e
        violations.push(`crash: ${status}: ${String((e as Error)?.message ?? e).slice(0, 200)}`)
      }
    }
    // JWS compact is exact (RFC 7515 §7.1): a changed JWS that still verifies would be a forgery
    if (p.name === 'verifyCompact' && status === 'ok' && !m.bytes.equals(p.base)) violations.push(`accepted-mutation: ${input} verifies`)
    const ms = performance.now() - t0
    if (ms > SLOW_MS) violations.push(`slow: ${ms.toFixed(0)} ms`)
    return { target: 'parsers', input, status: `${p.name}: ${status}`, violations, repro }
  }
  return { one, alive: async () => true, close: async () => {} }
}
