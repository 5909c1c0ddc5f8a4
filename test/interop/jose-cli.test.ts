// Interop with Debian's `jose` CLI (José, an independent C implementation): it decrypts our envelopes
// given the recipient key, verifies the inner JWS and receipts with the x5c leaf key, and the
// attachment bytes it hands back, cut by the manifest sizes, have the manifest's SHA-256 (sha256sum).
import t from 'tap'
import { X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import { testFederation } from '../helpers/federation.js'
import { certThumbprint } from '../../src/crypto/jose/v1-header.js'
import { tamperPart, x5cOf } from '../vectors/craft.js'
import { bytesOf, sealInput, sealManyInput, sha256Hex, signerOf } from '../vectors/fixtures.js'
import { JOSE_CLI, requireTool, run, scratchDir, status } from './tools.js'

const JOSE = '/usr/bin/jose'

if (requireTool(t, JOSE_CLI)) {
  const fed = await testFederation()
  const wrapAlgs = run(JOSE, ['alg', '-k', 'wrap']).toString().split(/\s+/)
  t.comment(`jose CLI key wrapping algorithms: ${wrapAlgs.join(' ')}`)
  const attachments = [bytesOf(1_000_000, 11), Buffer.from('บันทึกข้อความ ทดสอบ\n', 'utf8')]

  const leafJwk = (jws: string): string => {
    const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8'))
    return JSON.stringify(new X509Certificate(Buffer.from(header.x5c[0], 'base64')).publicKey.export({ format: 'jwk' }))
  }

  for (const [from, to] of [['moi', 'mof'], ['dga', 'mof'], ['mof', 'moi']] as const) {
    const alg = fed.agencies[to]!.spec.keyType === 'ec' ? 'ECDH-ES+A256KW' : 'RSA-OAEP-256'
    const skip = wrapAlgs.includes(alg) ? false : `this libjose build does not implement ${alg} (José 11 has no RSA-OAEP); covered by jwcrypto`
    t.test(`jose jwe dec / jws ver: ${from} → ${to} (${alg})`, { skip }, async (t) => {
      const dir = scratchDir(t)
      const input = sealInput(fed, from, to, attachments)
      const { envelope } = await joseV1.seal(input)
      writeFileSync(join(dir, 'envelope.jwe'), envelope)
      writeFileSync(join(dir, 'recipient.jwk'), JSON.stringify(fed.agencies[to]!.encryption.key.export({ format: 'jwk' })))
      run(JOSE, ['jwe', 'dec', '-i', join(dir, 'envelope.jwe'), '-k', join(dir, 'recipient.jwk'), '-O', join(dir, 'bundle.bin')])
      const bundle = readFileSync(join(dir, 'bundle.bin'))
      const nl = bundle.indexOf(0x0a)
      const jws = bundle.subarray(0, nl).toString('latin1')
      writeFileSync(join(dir, 'letter.jws'), jws)
      writeFileSync(join(dir, 'leaf.jwk'), leafJwk(jws))
      const payload = JSON.parse(run(JOSE, ['jws', 'ver', '-i', join(dir, 'letter.jws'), '-k', join(dir, 'leaf.jwk'), '-O', '-']).toString('utf8'))
      t.strictSame(payload, { v: 1, mid: input.messageId, from, to, sentAt: input.sentAt, letter: input.letter })
      t.equal(JSON.parse(leafJwk(jws)).kty, fed.agencies[from]!.spec.keyType === 'ec' ? 'EC' : 'RSA')

      // Cut the bytes after the line feed by the signed manifest; sha256sum each piece.
      let at = nl + 1
      payload.letter.attachments.forEach((a: { size: number; sha256: string }, i: number) => {
        const file = join(dir, `attachment-${i}`)
        writeFileSync(file, bundle.subarray(at, (at += a.size)))
        t.equal(run('sha256sum', [file]).toString().split(' ')[0], a.sha256, `attachment ${i} sha256sum`)
      })
      t.equal(at, bundle.length, 'the manifest sizes account for every byte')

      // A tampered envelope or signature is refused by jose too.
      writeFileSync(join(dir, 'bad.jwe'), tamperPart(envelope, 3))
      t.not(status(JOSE, ['jwe', 'dec', '-i', join(dir, 'bad.jwe'), '-k', join(dir, 'recipient.jwk'), '-O', join(dir, 'bad.bin')]), 0)
      writeFileSync(join(dir, 'bad.jws'), tamperPart(Buffer.from(jws, 'latin1'), 2, 0))
      t.not(status(JOSE, ['jws', 'ver', '-i', join(dir, 'bad.jws'), '-k', join(dir, 'leaf.jwk')]), 0)
    })
  }

  t.test('jose jwe dec opens the EC parts of a jose-v2 letter sealed once for many (PROTOCOL.md §17.7)', async (t) => {
    const dir = scratchDir(t)
    const input = sealManyInput(fed, 'moi', ['mof', 'dga'], attachments, { copyTo: ['moi'] })
    const sealed = await joseV2.sealMany(input)
    const rsaOaep = wrapAlgs.includes('RSA-OAEP-256')
    let bundleSeen: Buffer | undefined
    for (const a of ['moi', 'mof', 'dga']) writeFileSync(join(dir, `${a}.jwk`), JSON.stringify(fed.agencies[a]!.encryption.key.export({ format: 'jwk' })))
    for (const p of sealed.parts) {
      if (fed.agencies[p.to]!.spec.keyType !== 'ec' && !rsaOaep) {
        t.comment(`${p.to}: RSA-OAEP-256 is not in this libjose build; jwcrypto covers it`)
        continue
      }
      writeFileSync(join(dir, `${p.to}.json`), Buffer.concat([p.head, sealed.shared, p.tail]))
      run(JOSE, ['jwe', 'dec', '-i', join(dir, `${p.to}.json`), '-k', join(dir, `${p.to}.jwk`), '-O', join(dir, `${p.to}.bin`)])
      const bundle = readFileSync(join(dir, `${p.to}.bin`))
      if (bundleSeen) t.ok(bundle.equals(bundleSeen), `${p.to}: the same bundle as every other recipient`)
      bundleSeen = bundle
      const jws = bundle.subarray(0, bundle.indexOf(0x0a)).toString('latin1')
      writeFileSync(join(dir, 'letter.jws'), jws)
      writeFileSync(join(dir, 'leaf.jwk'), leafJwk(jws))
      const payload = JSON.parse(run(JOSE, ['jws', 'ver', '-i', join(dir, 'letter.jws'), '-k', join(dir, 'leaf.jwk'), '-O', '-']).toString('utf8'))
      t.strictSame(payload, { v: 2, lid: input.letterId, from: 'moi', sentAt: input.sentAt, letter: input.letter }, `${p.to}: jose jws ver gives the v2 payload`)
      const other = p.to === 'mof' ? 'dga' : 'mof'
      t.not(status(JOSE, ['jwe', 'dec', '-i', join(dir, `${p.to}.json`), '-k', join(dir, `${other}.jwk`), '-O', join(dir, 'x.bin')]), 0, `${p.to}: another recipient's key does not open it`)
    }
    t.ok(bundleSeen, 'at least one part was opened by jose')
  })

  t.test('jose jws ver verifies receipts (RS256 and ES256)', async (t) => {
    const dir = scratchDir(t)
    for (const agency of ['moi', 'mof']) {
      const claims = {
        v: 1 as const, mid: '2c9d6a1e-0f4b-4e8a-9b7c-5d3e2f1a0b9c', from: 'dga', to: agency,
        receivedAt: '2026-11-25T03:04:06.000Z', envelopeSha256: sha256Hex(Buffer.from('e')), profile: 'jose-v1',
      }
      const receipt = await joseV1.signReceipt(claims, signerOf(fed, agency))
      writeFileSync(join(dir, 'receipt.jws'), receipt)
      writeFileSync(join(dir, 'leaf.jwk'), leafJwk(receipt.toString('latin1')))
      t.strictSame(JSON.parse(run(JOSE, ['jws', 'ver', '-i', join(dir, 'receipt.jws'), '-k', join(dir, 'leaf.jwk'), '-O', '-']).toString()), claims)
    }
  })

  t.test('reverse: an envelope made by the jose CLI opens with our open()', async (t) => {
    const dir = scratchDir(t)
    for (const from of ['moi', 'dga'] as const) {
      const input = sealInput(fed, from, 'mof', attachments)
      const alg = fed.agencies[from]!.spec.keyType === 'ec' ? 'ES256' : 'RS256'
      writeFileSync(join(dir, 'payload.json'), JSON.stringify({ v: 1, mid: input.messageId, from, to: 'mof', sentAt: input.sentAt, letter: input.letter }))
      writeFileSync(join(dir, 'signer.jwk'), JSON.stringify((input.signer.key as KeyObject).export({ format: 'jwk' })))
      const jwsTemplate = { protected: { alg, typ: 'saraban-letter+jws', x5c: x5cOf(input.signer.chain) } }
      const jws = run(JOSE, ['jws', 'sig', '-I', join(dir, 'payload.json'), '-k', join(dir, 'signer.jwk'), '-s', JSON.stringify(jwsTemplate), '-c', '-o', '-'])
      writeFileSync(join(dir, 'bundle.bin'), Buffer.concat([jws, Buffer.from('\n'), ...attachments]))
      writeFileSync(join(dir, 'recipient.jwk'), JSON.stringify(input.recipientCert.publicKey.export({ format: 'jwk' })))
      const jweTemplate = { protected: {
        alg: 'ECDH-ES+A256KW', enc: 'A256GCM', typ: 'saraban-envelope+jwe', cty: 'saraban-bundle', 'x5t#S256': certThumbprint(input.recipientCert),
        srb_v: 1, srb_mid: input.messageId, srb_from: from, srb_to: 'mof',
      } }
      const envelope = run(JOSE, ['jwe', 'enc', '-I', join(dir, 'bundle.bin'), '-k', join(dir, 'recipient.jwk'), '-i', JSON.stringify(jweTemplate), '-c', '-o', '-'])
      t.equal(joseV1.peek(envelope).messageId, input.messageId)
      const opened = await joseV1.open(envelope, fed.agencies.mof!.encryption.key)
      t.strictSame(opened.payload.letter, input.letter, `${from}: letter`)
      t.ok(opened.attachments.every((a, i) => a.equals(attachments[i]!)), `${from}: attachments`)
      t.equal(opened.signerChain[0]!.fingerprint256, input.signer.chain[0]!.fingerprint256)
    }
  })
}
