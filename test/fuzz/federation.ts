// Fuzz target: POST /federation/v1/messages over real mTLS (issue 13 §4). Valid envelopes are sealed
// by the real profiles (jose-v1, jose-v2, cms-v1; letters and notices), then one part is changed:
// the outer envelope (compact parts, protected header JSON, flattened JSON members, BER elements,
// bytes), the signed letter inside a properly encrypted envelope (so that the signature, not the
// decryption, must refuse it), or the unauthenticated request (Content-Type, routing headers,
// Saraban-Shared-* headers). Oracle: no 5xx, no hang, problem+json refusals, no row stored for a
// refusal, and nothing accepted unless its body is byte for byte a valid envelope with its routing.
import { createHash, randomUUID } from 'node:crypto'
import { Client } from 'undici'
import { testNet, thaiLetter, type TestNet } from '../helpers/nodes.js'
import type { Rng } from '../helpers/prng.js'
import type { SealInput } from '../../src/crypto/profiles.js'
import { craftEnvelope, letterJws } from '../vectors/craft.js'
import { assembleEnvelope, signedLetter } from '../vectors/cms-craft.js'
import { children, readTlv } from '../../src/crypto/cms/der-read.js'
import { mutateX5c, x5cKeyUndecodable, mutateBer, mutateBytes, mutateCompact, mutateJsonObject, type Mutated } from './mutate.js'
import { codeOf, httpViolations, type Outcome } from './oracle.js'
import { answers, exchange } from './http.js'

const PROFILES = ['jose-v1', 'jose-v2', 'cms-v1'] as const
type ProfileId = (typeof PROFILES)[number]

/** Whether `mutated` differs from the ContentInfo(SignedData) `der` only inside its `certificates` [0]. */
function onlyCertificatesDiffer(der: Buffer, mutated: Buffer): boolean {
  const ci = readTlv(der, 0)
  const sd = children(der, children(der, ci)[1]!)[0]!
  const certs = children(der, sd).find((t) => t.tag === 0xa0)
  if (!certs) return false
  const tail = der.length - certs.next
  return mutated.length >= certs.start + tail && der.subarray(0, certs.start).equals(mutated.subarray(0, certs.start))
    && der.subarray(certs.next).equals(mutated.subarray(mutated.length - tail))
}

/** An inner mutation: the signed letter before and after (the envelope's keys die with the run). */
let lastInner: { signed: string; mutated: string } | undefined
const lastInnerChange = () => lastInner

interface Base {
  readonly profile: ProfileId
  readonly kind: 'letter' | 'notice'
  readonly input: SealInput
  readonly envelope: Buffer
  readonly mediaType: string
}

export interface FederationTarget {
  one(rng: Rng): Promise<Outcome>
  /** answers GET /federation/v1/health (between batches: the node is still up) */
  alive(): Promise<boolean>
  close(): Promise<void>
}

export async function federationTarget(opts: { timeoutMs: number }): Promise<FederationTarget> {
  const net: TestNet = await testNet(['moi', 'mof'], { profiles: [...PROFILES] })
  await net.nodes.mof!.start()
  const mof = net.nodes.mof!.ctx!
  const moi = net.fed.agencies.moi!
  const tls = moi.tls
  const client = new Client(`https://127.0.0.1:${net.nodes.mof!.federationPort}`, {
    connect: { key: tls.keyPem, cert: tls.chainPem, ca: net.fed.root.certPem, rejectUnauthorized: true },
    headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs,
  })
  const rows = () => (mof.db.sqlite.prepare('SELECT (SELECT count(*) FROM inbox_messages) + (SELECT count(*) FROM notices) AS n').get() as { n: number }).n

  const inputFor = (kind: 'letter' | 'notice'): SealInput => {
    const attachment = Buffer.from('%PDF-1.4 fuzz attachment\n')
    const letter = { ...thaiLetter(['mof']), sender: { agency: 'moi', name: 'กระทรวงมหาดไทย' },
      attachments: [{ id: 'a1', filename: 'a.pdf', mediaType: 'application/pdf', size: attachment.length, sha256: createHash('sha256').update(attachment).digest('hex') }] }
    const notice = { type: 'rejected', messageId: randomUUID(), envelopeSha256: '0'.repeat(64), at: new Date().toISOString(), reasonCode: 'wrong-agency', reason: 'fuzz' }
    return {
      messageId: randomUUID(), from: 'moi', to: 'mof', sentAt: new Date().toISOString(),
      letter: kind === 'letter' ? letter : {}, attachments: kind === 'letter' ? [attachment] : [],
      ...(kind === 'notice' ? { notice } : {}),
      signer: { agency: 'moi', key: moi.signing.key, chain: moi.signing.chain }, recipientCert: net.fed.agencies.mof!.encryption.cert,
    }
  }
  // A fresh valid envelope per input: a message id the node has not seen yet, so that every check
  // (decryption, signature, replay) is reached rather than an early ERR_MESSAGE_ID_CONFLICT.
  const sealBase = async (rng: Rng): Promise<Base> => {
    const profile = rng.pick(PROFILES)
    const kind = profile !== 'jose-v2' && rng.chance(0.25) ? 'notice' : 'letter'
    const input = inputFor(kind)
    const sealed = await mof.profiles.get(profile).seal(input)
    return { profile, kind, input, envelope: sealed.envelope, mediaType: sealed.mediaType }
  }

  /** Whether the inbox holds the base's message with the base's letter (its signed content). */
  const storedAs = (b: Base): boolean => {
    const row = mof.db.sqlite.prepare('SELECT letter_json FROM inbox_messages WHERE message_id = ?').get(b.input.messageId) as { letter_json: string } | undefined
    if (row === undefined) return false
    const stored = JSON.parse(row.letter_json) as Record<string, unknown> // with the receiver's defaults added
    return Object.entries(b.input.letter).every(([k, v]) => JSON.stringify(stored[k]) === JSON.stringify(v))
  }

  /** The outer envelope, changed. */
  const outer = (rng: Rng, b: Base): Mutated => {
    if (rng.chance(0.2)) return mutateBytes(rng, b.envelope)
    if (b.profile === 'cms-v1') return mutateBer(rng, b.envelope)
    if (b.profile === 'jose-v1') {
      if (rng.chance(0.3)) {
        const [h, ...rest] = b.envelope.toString('latin1').split('.')
        const m = mutateJsonObject(rng, JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')), ['x5t#S256', 'srb_mid', 'epk', 'p2s'])
        const hb = Buffer.from(typeof m.value === 'string' ? m.value : JSON.stringify(m.value)).toString('base64url')
        return { bytes: Buffer.from([hb, ...rest].join('.'), 'latin1'), name: `header.${m.name}` }
      }
      return mutateCompact(rng, b.envelope, ['header', 'ek', 'iv', 'ct', 'tag'])
    }
    // jose-v2: Flattened JSON (PROTOCOL.md §17.7)
    const o = JSON.parse(b.envelope.toString('utf8')) as Record<string, any>
    switch (rng.int(4)) {
      case 0: {
        const m = mutateJsonObject(rng, o)
        return { bytes: Buffer.from(typeof m.value === 'string' ? m.value : JSON.stringify(m.value)), name: `envelope.${m.name}` }
      }
      case 1: {
        const m = mutateJsonObject(rng, o.header as Record<string, unknown>, ['epk', 'kid'])
        return { bytes: Buffer.from(JSON.stringify({ ...o, header: typeof m.value === 'string' ? m.value : m.value })), name: `header.${m.name}` }
      }
      case 2: {
        const m = mutateJsonObject(rng, JSON.parse(Buffer.from(o.protected as string, 'base64url').toString('utf8')), ['alg', 'zip'])
        const p = Buffer.from(typeof m.value === 'string' ? m.value : JSON.stringify(m.value)).toString('base64url')
        return { bytes: Buffer.from(JSON.stringify({ ...o, protected: p })), name: `protected.${m.name}` }
      }
      default: {
        const member = rng.pick(['encrypted_key', 'iv', 'ciphertext', 'tag', 'protected'])
        const m = mutateCompact(rng, Buffer.from(String(o[member]), 'latin1'), [member])
        return { bytes: Buffer.from(JSON.stringify({ ...o, [member]: m.bytes.toString('latin1') })), name: m.name }
      }
    }
  }

  /** The signed letter changed after signing, then encrypted properly for the recipient. */
  const inner = (rng: Rng, b: Base): Mutated | undefined => {
    if (b.profile === 'cms-v1') {
      const der = signedLetter(b.input, b.kind === 'notice' ? { over: { letter: undefined, notice: b.input.notice } } : {})
      const m = rng.chance(0.7) ? mutateBer(rng, der) : mutateBytes(rng, der)
      if (m.bytes.equals(der)) return { bytes: assembleEnvelope({ plaintext: [der, ...b.input.attachments], recipient: b.input.recipientCert }), name: 'inner.noop' }
      lastInner = { signed: der.toString('base64'), mutated: m.bytes.toString('base64') }
      return { bytes: assembleEnvelope({ plaintext: [m.bytes, ...b.input.attachments], recipient: b.input.recipientCert }), name: `inner.${m.name}` }
    }
    if (b.profile !== 'jose-v1') return undefined
    const payloadOver = b.kind === 'notice' ? { letter: undefined, notice: b.input.notice } : {}
    const jws = letterJws(b.input, { payloadOver })
    let m: Mutated
    if (rng.chance(0.35)) m = mutateX5c(rng, jws)
    else if (rng.chance(0.3)) {
      const [h, p, s] = jws.toString('latin1').split('.')
      const jm = mutateJsonObject(rng, JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')), ['kid', 'jku', 'b64'])
      const hb = Buffer.from(typeof jm.value === 'string' ? jm.value : JSON.stringify(jm.value)).toString('base64url')
      m = { bytes: Buffer.from(`${hb}.${p}.${s}`, 'latin1'), name: `json.${jm.name}` }
    } else m = mutateCompact(rng, jws, ['header', 'payload', 'signature'])
    // a mutation that changed nothing (e.g. re-serializing the same header) is still the signed letter
    if (m.bytes.equals(jws)) return { bytes: craftEnvelope({ input: b.input, jws, ...(b.kind === 'notice' ? { tail: [] } : {}) }), name: 'inner.noop' }
    lastInner = { signed: jws.toString('latin1'), mutated: m.bytes.toString('latin1') }
    const tag = x5cKeyUndecodable(m.bytes) ? ' [x5c-key-undecodable]' : ''
    return { bytes: craftEnvelope({ input: b.input, jws: m.bytes, ...(b.kind === 'notice' ? { tail: [] } : {}) }), name: `inner.${m.name}${tag}` }
  }

  /** The valid body with its request changed: media type, routing and shared-content headers. */
  const request = (rng: Rng, b: Base, headers: Record<string, string>, to: { path: string }): string => {
    switch (rng.int(7)) {
      case 6:
        // unknown routes and bad URLs on the federation port (framework answers)
        to.path = rng.pick(['/federation/v1/messages/', '/federation/v2/messages', '/federation/v1/messages?x=%', '/%%', `/${'a'.repeat(9000)}`, '/federation/v1/../v1/messages', '/'])
        return 'request.path'
      case 0:
        headers['content-type'] = rng.pick([b.mediaType.toUpperCase(), `${b.mediaType}; charset=utf-8`, 'application/json', 'text/plain', 'application/jose', 'application/cms', 'application/jose+json', ''])
        return 'request.content-type'
      case 1: {
        const h = rng.pick(['saraban-message-id', 'saraban-from', 'saraban-to'])
        delete headers[h]
        return `request.drop-${h}`
      }
      case 2: {
        const h = rng.pick(['saraban-message-id', 'saraban-from', 'saraban-to'])
        headers[h] = rng.pick(['dga', 'MOI', 'mof', 'moi ', randomUUID(), '', 'x'.repeat(300), b.input.messageId.toUpperCase()])
        return `request.value-${h}`
      }
      case 3: {
        // header names in another case: the same request (RFC 9110 §5.1)
        for (const k of Object.keys(headers)) if (k.startsWith('saraban-')) { headers[k.toUpperCase()] = headers[k]!; delete headers[k] }
        return 'request.name-case'
      }
      case 4: {
        const len = b.envelope.length
        headers['saraban-shared-sha256'] = rng.pick([createHash('sha256').update(b.envelope).digest('hex'), 'f'.repeat(64), 'F'.repeat(64), 'zz', ''])
        headers['saraban-shared-offset'] = String(rng.pick([0, len, len + 1, rng.int(len), -1, 1e16]))
        headers['saraban-shared-length'] = String(rng.pick([0, 1, len, 2 ** 40, rng.int(10_000)]))
        if (rng.chance(0.3)) delete headers[rng.pick(['saraban-shared-sha256', 'saraban-shared-offset', 'saraban-shared-length'])]
        return 'request.shared-ref'
      }
      default:
        return 'request.none'
    }
  }

  const one = async (rng: Rng): Promise<Outcome> => {
    const b = await sealBase(rng)
    const headers: Record<string, string> = { 'content-type': b.mediaType, 'saraban-message-id': b.input.messageId, 'saraban-from': 'moi', 'saraban-to': 'mof' }
    let body: Buffer
    let what: string
    const to = { path: '/federation/v1/messages' }
    const family = rng.int(10)
    lastInner = undefined
    const innerM = family < 3 ? inner(rng, b) : undefined
    if (innerM) ({ bytes: body, name: what } = innerM)
    else if (family < 8) ({ bytes: body, name: what } = outer(rng, b))
    else {
      body = b.envelope
      what = request(rng, b, headers, to)
    }
    const input = `${b.profile} ${b.kind} ${what}`
    const changed = lastInnerChange()
    const repro = { profile: b.profile, path: to.path, headers, body: body.toString('base64'), ...(changed ? { inner: changed } : {}) }
    const before = rows()
    const x = await exchange(client, { method: 'POST', path: to.path, headers, body })
    if (typeof x.status === 'string' || !('answer' in x)) return { target: 'federation', input: input, status: String(x.status), violations: 'violation' in x && x.violation ? [x.violation] : [], repro }
    const { status, contentType, answer } = x
    const violations = httpViolations(status, contentType, answer)
    const after = rows()
    if (status >= 300 && after !== before) violations.push(`stored-on-refusal: ${after - before} rows for a ${status}`)
    if (status >= 200 && status < 300) {
      const sameBody = body.equals(b.envelope)
      // field names are case-insensitive and leading/trailing whitespace is not part of a field value
      // (RFC 9110 §5.1, §5.5): "moi " is the routing value "moi"
      const routing = ['saraban-message-id', 'saraban-from', 'saraban-to'].map((h) => Object.entries(headers).find(([k]) => k.toLowerCase() === h)?.[1]?.replace(/^[ \t]+|[ \t]+$/g, ''))
      const sameRouting = routing.every((v) => v === undefined) || (routing[0] === b.input.messageId && routing[1] === 'moi' && routing[2] === 'mof')
      const noop = what === 'inner.noop' // re-encrypted, but the signed letter is the one the signer made
      // cms-v1 is BER (PROTOCOL.md §12): a constructed element re-encoded with an indefinite length
      // carries the same values, none of them changed; accepted, it must be the base message itself.
      // Inside the signed letter, SignedData `certificates` is not signed either (RFC 5652 §5.1): the
      // signer is validated by its leaf's fingerprint in the directory, with the directory's CAs.
      const reencoded = b.profile === 'cms-v1' && (what === 'ber.indefinite' || what === 'inner.ber.indefinite'
        || (changed !== undefined && onlyCertificatesDiffer(Buffer.from(changed.signed, 'base64'), Buffer.from(changed.mutated, 'base64')))) && storedAs(b)
      if ((!sameBody && !noop && !reencoded) || !sameRouting) violations.push(`accepted-mutation: ${status} for ${input}`)
    }
    return { target: 'federation', input, status: String(status), code: codeOf(answer), violations, repro }
  }

  return {
    one,
    alive: () => answers(client, '/federation/v1/health'),
    async close() {
      await client.close()
      await net.stop()
    },
  }
}
