// A node whose agency keeps its envelope signing and decryption keys on a PKCS#11 token (SoftHSM2)
// exchanges letters both ways with a normal node over real mTLS, in jose-v1 and cms-v1 (issue 12 §1).
// moi (RSA: RS256 and RSA-OAEP on the token) and mof (EC P-256: ES256 and ECDH on the token) each
// take a turn as the token node. The PEM key files are deleted, so nothing but the token can sign or open.
import tap, { type Test } from 'tap'
import { X509Certificate } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { receiptFromText } from '../../src/crypto/profiles.js'
import { isKeyHandle } from '../../src/crypto/keys/private-key.js'
import { call, testNet, thaiLetter, waitForRecipient, type TestNet } from '../helpers/nodes.js'
import { softhsmMissing, softToken, type SoftToken } from '../helpers/softhsm.js'

const missing = softhsmMissing()
if (missing) {
  tap.comment(`skipped: ${missing}`)
  tap.pass('skipped: SoftHSM2 is not installed')
} else {
  const tok = softToken('saraban-node-it')
  tap.teardown(() => tok.remove())
  for (const profileId of ['jose-v1', 'cms-v1']) {
    for (const onToken of ['moi', 'mof'] as const) {
      tap.test(`${profileId}: ${onToken}'s keys on a token`, async (t) => exchange(t, tok, profileId, onToken))
    }
  }
}

const imported = new Set<string>()

/** Puts the agency's signing and encryption keys on the token and points its node.json at them. */
function moveKeysToToken(net: TestNet, tok: SoftToken, agency: string): void {
  const a = net.fed.agencies[agency]!
  for (const role of ['signing', 'encryption'] as const) {
    const label = `${agency}-${role}`
    if (!imported.has(label)) {
      tok.importKey(label, a[role].keyPem, new X509Certificate(a[role].chainPem))
      imported.add(label)
    }
  }
  const configFile = net.nodes[agency]!.configFile
  const dir = dirname(configFile)
  writeFileSync(join(dir, 'token.pin'), `${tok.pin}\n`, { mode: 0o600 })
  const config = JSON.parse(readFileSync(configFile, 'utf8'))
  const token = (keyLabel: string) => ({ module: tok.module, tokenLabel: tok.label, keyLabel, pinFile: 'token.pin' })
  config.agencies[0].signing = { pkcs11: token(`${agency}-signing`), cert: 'signing.chain.pem' } // chain from the file
  config.agencies[0].encryption = { pkcs11: token(`${agency}-encryption`) } // certificate from the token
  writeFileSync(configFile, JSON.stringify(config, null, 2))
  rmSync(join(dir, 'signing.key.pem'))
  rmSync(join(dir, 'encryption.key.pem'))
}

async function exchange(t: Test, tok: SoftToken, profileId: string, onToken: 'moi' | 'mof'): Promise<void> {
  const net = await testNet(['moi', 'mof'], { profiles: [profileId] })
  t.teardown(() => net.stop())
  moveKeysToToken(net, tok, onToken)
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
  const token = net.nodes[onToken]!
  const hosted = token.ctx!.hosted.get(onToken)!
  t.ok(isKeyHandle(hosted.signer.key), 'the token node signs with a token handle')
  t.match((hosted.signer.key as { describe: string }).describe, /PKCS#11 token "saraban-node-it" key/)
  t.ok(isKeyHandle(hosted.decryption[0]!.key), 'and decrypts with one')
  t.notMatch(JSON.stringify(token.ctx!.config), new RegExp(tok.pin), 'the PIN is not in the loggable config')

  for (const [from, to] of [['moi', 'mof'], ['mof', 'moi']] as const) {
    const sender = net.nodes[from]!, recipient = net.nodes[to]!
    const attachment = Buffer.from(`แนบ ${from} → ${to} ${profileId}`)
    const sent = await call(sender, 'POST', '/api/v1/letters', {
      letter: thaiLetter([to], { subject: `ทดสอบโทเค็น ${from} ถึง ${to}` }),
      attachments: [{ filename: 'แนบ.txt', mediaType: 'text/plain', content: attachment.toString('base64') }],
    })
    t.equal(sent.status, 202, `${from} → ${to} accepted`)
    const done = await waitForRecipient(sender, sent.body.id, 'delivered')
    const r = done.recipients[0]
    t.equal(r.profile, profileId)
    const { claims, signerChain } = await sender.ctx!.profiles.get(profileId).verifyReceipt(receiptFromText(profileId, r.receipt))
    t.equal(claims.to, to, `${from} → ${to}: receipt signed by ${to}${to === onToken ? ' on the token' : ''}`)
    t.equal(signerChain[0]!.fingerprint256, new X509Certificate(net.fed.agencies[to]!.signing.chainPem).fingerprint256)
    const got = await call(recipient, 'GET', `/api/v1/inbox/${r.messageId}`)
    t.equal(got.status, 200, `${to} opened it${to === onToken ? ' with the token' : ''}`)
    t.equal(got.body.letter.subject, `ทดสอบโทเค็น ${from} ถึง ${to}`)
    t.equal(got.body.signer.agency, from, `signed by ${from}${from === onToken ? ' on the token' : ''}`)
    const bytes = await call(recipient, 'GET', `/api/v1/inbox/${r.messageId}/attachments/${got.body.attachments[0].id}`)
    t.ok(Buffer.compare(bytes.body, attachment) === 0, 'the attachment bytes arrive intact')
  }
}
