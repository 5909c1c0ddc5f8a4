// Interop with python3-jwcrypto (an independent Python implementation), both directions:
// it opens our envelopes and verifies our receipts; our open() opens envelopes it builds.
import t from 'tap'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import type { KeyObject } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import { certThumbprint } from '../../src/crypto/jose/v1-header.js'
import { testFederation } from '../helpers/federation.js'
import { tamperPart, x5cOf } from '../vectors/craft.js'
import { bytesOf, sealInput, sealManyInput, sha256Hex, signerOf } from '../vectors/fixtures.js'
import { JWCRYPTO, JWCRYPTO_TOOL, PYTHON, requireTool, run, scratchDir, status } from './tools.js'

const py = (...args: string[]): Buffer => run(PYTHON, [JWCRYPTO_TOOL, ...args])

if (requireTool(t, JWCRYPTO)) {
  const fed = await testFederation()
  t.comment(`jwcrypto ${run(PYTHON, ['-c', 'from importlib.metadata import version; print(version("jwcrypto"))']).toString().trim()}`)
  const attachments = [bytesOf(1_000_000, 21), Buffer.from('ภาคผนวก ก.\n', 'utf8'), Buffer.alloc(0)]
  const PAIRS = [['moi', 'mof'], ['mof', 'moi'], ['moi', 'moi'], ['mof', 'dga']] as const

  for (const [from, to] of PAIRS) {
    t.test(`jwcrypto opens our envelope: ${from} → ${to}`, async (t) => {
      const dir = scratchDir(t)
      const input = sealInput(fed, from, to, attachments)
      const { envelope } = await joseV1.seal(input)
      writeFileSync(join(dir, 'envelope.jwe'), envelope)
      writeFileSync(join(dir, 'recipient.jwk'), JSON.stringify(fed.agencies[to]!.encryption.key.export({ format: 'jwk' })))
      const r = JSON.parse(py('open', join(dir, 'envelope.jwe'), join(dir, 'recipient.jwk')).toString('utf8'))
      t.match(r.jweHeader, {
        alg: fed.agencies[to]!.spec.keyType === 'ec' ? 'ECDH-ES+A256KW' : 'RSA-OAEP-256', enc: 'A256GCM',
        typ: 'saraban-envelope+jwe', cty: 'saraban-bundle', 'x5t#S256': certThumbprint(input.recipientCert),
        srb_v: 1, srb_mid: input.messageId, srb_from: from, srb_to: to,
      })
      t.same(r.jwsHeader, { alg: fed.agencies[from]!.spec.keyType === 'ec' ? 'ES256' : 'RS256', typ: 'saraban-letter+jws' })
      t.equal(r.signerLeafSha256, sha256Hex(input.signer.chain[0]!.raw))
      t.strictSame(r.payload, { v: 1, mid: input.messageId, from, to, sentAt: input.sentAt, letter: input.letter })
      t.same(r.attachments, attachments.map((a) => ({ size: a.length, sha256: sha256Hex(a), matches: true })))
      t.equal(r.lengthsExact, true)

      writeFileSync(join(dir, 'bad.jwe'), tamperPart(envelope, 4, 0))
      t.not(status(PYTHON, [JWCRYPTO_TOOL, 'open', join(dir, 'bad.jwe'), join(dir, 'recipient.jwk')]), 0, 'a tampered tag is refused')
    })
  }

  t.test('jwcrypto opens every part of a jose-v2 letter sealed once for many (PROTOCOL.md §17.7)', async (t) => {
    const dir = scratchDir(t)
    const input = sealManyInput(fed, 'moi', ['mof', 'dga'], attachments, { copyTo: ['moi'] })
    const sealed = await joseV2.sealMany(input)
    for (const p of sealed.parts) {
      const envelope = Buffer.concat([p.head, sealed.shared, p.tail])
      writeFileSync(join(dir, `${p.to}.json`), envelope)
      writeFileSync(join(dir, `${p.to}.jwk`), JSON.stringify(fed.agencies[p.to]!.encryption.key.export({ format: 'jwk' })))
      const r = JSON.parse(py('open', join(dir, `${p.to}.json`), join(dir, `${p.to}.jwk`)).toString('utf8'))
      t.match(r.jweHeader, {
        alg: fed.agencies[p.to]!.spec.keyType === 'ec' ? 'ECDH-ES+A256KW' : 'RSA-OAEP-256', enc: 'A256GCM', typ: 'saraban-envelope+jwe',
        cty: 'saraban-bundle', srb_v: 2, srb_mid: p.messageId, srb_from: 'moi', srb_to: p.to, 'x5t#S256': certThumbprint(fed.agencies[p.to]!.encryption.cert),
      }, `${p.to}: headers`)
      t.strictSame(r.payload, { v: 2, lid: input.letterId, from: 'moi', sentAt: input.sentAt, letter: input.letter }, `${p.to}: the v2 payload, signature verified`)
      t.same(r.attachments, attachments.map((a) => ({ size: a.length, sha256: sha256Hex(a), matches: true })))
      const bad = Buffer.from(envelope)
      bad[p.head.length + 10] = bad[p.head.length + 10] === 0x41 ? 0x42 : 0x41
      writeFileSync(join(dir, 'bad.json'), bad)
      t.not(status(PYTHON, [JWCRYPTO_TOOL, 'open', join(dir, 'bad.json'), join(dir, `${p.to}.jwk`)]), 0, `${p.to}: a changed shared byte is refused`)
    }
  })

  for (const [from, to] of [['moi', 'mof'], ['mof', 'moi']] as const) {
    t.test(`our open() opens a jose-v2 envelope jwcrypto built: ${from} → ${to}`, async (t) => {
      const dir = scratchDir(t)
      const input = sealInput(fed, from, to, attachments)
      const files = attachments.map((a, i) => (writeFileSync(join(dir, `att-${i}`), a), join(dir, `att-${i}`)))
      writeFileSync(join(dir, 'spec.json'), JSON.stringify({
        profile: 'jose-v2', signerJwk: (input.signer.key as KeyObject).export({ format: 'jwk' }), x5c: x5cOf(input.signer.chain),
        signAlg: fed.agencies[from]!.spec.keyType === 'ec' ? 'ES256' : 'RS256', recipientJwk: input.recipientCert.publicKey.export({ format: 'jwk' }),
        alg: fed.agencies[to]!.spec.keyType === 'ec' ? 'ECDH-ES+A256KW' : 'RSA-OAEP-256', x5tS256: certThumbprint(input.recipientCert),
        mid: input.messageId, from, to, sentAt: input.sentAt, letter: input.letter, attachmentFiles: files,
      }))
      const envelope = py('seal', join(dir, 'spec.json'))
      t.match(joseV2.peek(envelope), { profile: 'jose-v2', messageId: input.messageId, from, to })
      const opened = await joseV2.open(envelope, fed.agencies[to]!.encryption.key)
      t.strictSame(opened.payload, { v: 1, mid: input.messageId, from, to, sentAt: input.sentAt, letter: input.letter })
      t.ok(opened.attachments.every((a, i) => a.equals(attachments[i]!)))
    })
  }

  t.test('jwcrypto verifies our receipts', async (t) => {
    const dir = scratchDir(t)
    for (const agency of ['moi', 'mof']) {
      const claims = {
        v: 1 as const, mid: '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f60718', from: 'dga', to: agency,
        receivedAt: '2026-11-25T03:04:06.000Z', envelopeSha256: sha256Hex(Buffer.from('env')), profile: 'jose-v1',
      }
      const signer = signerOf(fed, agency)
      writeFileSync(join(dir, 'receipt.jws'), await joseV1.signReceipt(claims, signer))
      const r = JSON.parse(py('verify-receipt', join(dir, 'receipt.jws')).toString('utf8'))
      t.same(r.header, { alg: agency === 'moi' ? 'RS256' : 'ES256', typ: 'saraban-receipt+jws' })
      t.strictSame(r.claims, claims)
      t.equal(r.signerLeafSha256, sha256Hex(signer.chain[0]!.raw))
    }
  })

  const REVERSE = [['moi', 'mof', 'RS256'], ['moi', 'mof', 'PS256'], ['mof', 'moi', 'ES256'], ['dga', 'moi', 'ES256'], ['moi', 'moi', 'RS256']] as const
  for (const [from, to, signAlg] of REVERSE) {
    t.test(`our open() opens a jwcrypto envelope: ${from} → ${to}, ${signAlg}`, async (t) => {
      const dir = scratchDir(t)
      const input = sealInput(fed, from, to, attachments)
      const files = attachments.map((a, i) => {
        writeFileSync(join(dir, `att-${i}`), a)
        return join(dir, `att-${i}`)
      })
      writeFileSync(join(dir, 'spec.json'), JSON.stringify({
        signerJwk: (input.signer.key as KeyObject).export({ format: 'jwk' }),
        x5c: x5cOf(input.signer.chain),
        signAlg,
        recipientJwk: input.recipientCert.publicKey.export({ format: 'jwk' }),
        alg: fed.agencies[to]!.spec.keyType === 'ec' ? 'ECDH-ES+A256KW' : 'RSA-OAEP-256',
        x5tS256: certThumbprint(input.recipientCert),
        mid: input.messageId, from, to, sentAt: input.sentAt, letter: input.letter, attachmentFiles: files,
      }))
      const envelope = py('seal', join(dir, 'spec.json'))
      t.same(joseV1.peek(envelope), { profile: 'jose-v1', messageId: input.messageId, from, to, recipientKeyId: certThumbprint(input.recipientCert) })
      const opened = await joseV1.open(envelope, fed.agencies[to]!.encryption.key)
      t.strictSame(opened.payload, { v: 1, mid: input.messageId, from, to, sentAt: input.sentAt, letter: input.letter })
      t.equal(opened.attachments.length, attachments.length)
      t.ok(opened.attachments.every((a, i) => a.equals(attachments[i]!)))
      t.equal(opened.signerChain[0]!.fingerprint256, input.signer.chain[0]!.fingerprint256)
      await t.rejects(joseV1.open(tamperPart(envelope, 3), fed.agencies[to]!.encryption.key), { code: 'ERR_DECRYPT_FAILED' })
    })
  }

  t.test('jwcrypto opens every valid test vector (test/vectors/jose-v1)', async (t) => {
    const dir = scratchDir(t)
    const vectors = fileURLToPath(new URL('../vectors/jose-v1/', import.meta.url))
    const keys = JSON.parse(readFileSync(join(vectors, 'keys.json'), 'utf8'))
    for (const f of readdirSync(join(vectors, 'envelopes')).sort()) {
      const v = JSON.parse(readFileSync(join(vectors, 'envelopes', f), 'utf8'))
      if ('error' in v.expect.open) continue
      writeFileSync(join(dir, 'envelope.jwe'), v.envelope)
      writeFileSync(join(dir, 'recipient.jwk'), JSON.stringify(keys.agencies[v.recipient].encryption.privateJwk))
      const r = JSON.parse(py('open', join(dir, 'envelope.jwe'), join(dir, 'recipient.jwk')).toString('utf8'))
      t.strictSame(r.payload, v.expect.open.payload, `${f}: payload`)
      t.equal(r.signerLeafSha256, v.expect.open.signerLeafSha256, `${f}: signer`)
      t.same(r.attachments.map((a: { size: number; sha256: string }) => ({ size: a.size, sha256: a.sha256 })), v.expect.open.attachments, `${f}: attachments`)
    }
  })
}
