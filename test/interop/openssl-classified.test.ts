// The classified inner envelope (PROTOCOL.md §19, classified-design.md §2) is plain CMS, both ways with
// OpenSSL 3: `openssl cms -decrypt` with an officer key then `openssl cms -verify -CAfile root` open
// ours (RSA and EC officers, two signers); `openssl cms -sign` + `-resign` + `-encrypt -aes-256-gcm`
// make one our openInner accepts. A wrong officer cannot open it; an altered byte anywhere is refused.
// The commands are the README's ("For classified-information officers"), verbatim.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { encodeBundle } from '../../src/classified/inner/bundle.js'
import { openInner } from '../../src/classified/inner/open.js'
import { cosignInner, encryptInner, sha256Hex, signInner } from '../../src/classified/inner/seal.js'
import { checkLevel } from '../../src/classified/levels.js'
import { officerBySigningCert } from '../../src/classified/officers.js'
import { SarabanError } from '../../src/errors.js'
import { makeStatement, verifyStatement } from '../../src/classified/statement.js'
import { testFederation } from '../helpers/federation.js'
import { directoryOfficers, testOfficers } from '../helpers/officers.js'
import { classifiedLetter, MARKER } from '../helpers/classified.js'
import { fileIn, OPENSSL_CMS, requireTool, run, scratchDir, status } from './tools.js'


const fed = await testFederation()
const officers = await testOfficers(fed)
const dir = directoryOfficers(officers)
const [moiReg, moiDep] = officers['moi']!
const [mofReg, mofDep] = officers['mof']!
const attachment = Buffer.concat([Buffer.from(`%PDF-1.7\n% ${MARKER}\n`), Buffer.alloc(50_000, 7)])
const letter = classifiedLetter('moi', 'mof', 'SECRET', [attachment])
const recipients = [mofReg!, mofDep!, moiReg!, moiDep!].map((o) => o.encryption.cert)

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f()
    return undefined
  } catch (e) {
    return e instanceof SarabanError ? e.code : `not coded: ${(e as Error).message}`
  }
}

t.test('ours: two signers (RSA + ECDSA), four officers (KeyTrans + KeyAgree), opened by each', async (t) => {
  const signed1 = signInner(letter, [attachment], [moiReg!.signer])
  const signed = cosignInner(signed1, moiDep!.signer)
  const { inner, innerSha256 } = encryptInner(signed, recipients)
  t.equal(innerSha256, sha256Hex(inner))
  for (const o of [mofReg!, mofDep!, moiReg!, moiDep!]) {
    const opened = openInner(inner, o.opener, innerSha256)
    t.strictSame(opened.letter, letter, `${o.agency} ${o.id} reads the letter`)
    t.ok(opened.attachments[0]!.equals(attachment))
    t.equal(opened.signers.length, 2)
    const who = opened.signers.map((s) => officerBySigningCert(s.certificate, dir))
    t.strictSame(who.map((w) => `${w?.agency}:${w?.officer}`).sort(), ['moi:deputy', 'moi:registrar'], 'both signers are moi officers in the directory')
    checkLevel(opened.letter, who, undefined)
  }
  const single = openInner(encryptInner(signed1, recipients).inner, mofReg!.opener)
  t.equal(codeOf(() => checkLevel(single.letter, single.signers.map((s) => officerBySigningCert(s.certificate, dir)), undefined)), 'ERR_CLASSIFIED_SIGNERS', 'SECRET with one signer is refused')
  const twice = cosignInner(signed1, moiReg!.signer)
  const same = openInner(encryptInner(twice, recipients).inner, mofReg!.opener)
  t.equal(codeOf(() => checkLevel(same.letter, same.signers.map((s) => officerBySigningCert(s.certificate, dir)), undefined)), 'ERR_CLASSIFIED_SIGNERS', 'the same officer twice is one person')
  const ts = { ...letter, level: 'TOP_SECRET' as const, letter: { ...letter.letter, secrecy: 'TOP_SECRET' } }
  t.equal(codeOf(() => checkLevel(ts, [{ agency: 'moi', officer: 'registrar' }, { agency: 'moi', officer: 'deputy' }], undefined)), 'ERR_CLASSIFIED_LEVEL_REFUSED')
  checkLevel(ts, [{ agency: 'moi', officer: 'registrar' }, { agency: 'moi', officer: 'deputy' }], { topSecretElectronic: [{ from: 'moi', to: 'mof' }] })
  t.equal(codeOf(() => checkLevel(ts, [{ agency: 'mof', officer: 'registrar' }, { agency: 'moi', officer: 'deputy' }], { topSecretElectronic: [{ from: 'moi', to: 'mof' }] })), 'ERR_SIGNER_UNTRUSTED', 'a signer of another agency')
})

t.test('a wrong officer cannot open it; an altered byte anywhere is refused', async (t) => {
  const signed = cosignInner(signInner(letter, [attachment], [moiReg!.signer]), moiDep!.signer)
  const { inner, innerSha256 } = encryptInner(signed, [mofReg!.encryption.cert, mofDep!.encryption.cert])
  const [dgaReg] = officers['dga']!
  t.equal(codeOf(() => openInner(inner, dgaReg!.opener)), 'ERR_CLASSIFIED_NOT_FOR_YOU', 'an officer it is not sealed to')
  t.equal(codeOf(() => openInner(inner, { handle: moiDep!.opener.handle, certificate: mofReg!.encryption.cert })), 'ERR_DECRYPT_FAILED', 'another key behind the right certificate')
  const step = Math.max(1, Math.floor(inner.length / 400))
  let refused = 0, tried = 0, byKey = 0
  for (let i = 0; i < inner.length; i += step) {
    const bad = Buffer.from(inner)
    bad[i] = bad[i]! ^ 0x01
    tried++
    if (codeOf(() => openInner(bad, mofReg!.opener, innerSha256)) !== undefined) refused++
    if (codeOf(() => openInner(bad, mofReg!.opener)) !== undefined) byKey++
  }
  t.equal(refused, tried, `all ${tried} one-bit changes are refused at open (innerSha256 of the cover and release)`)
  t.ok(byKey < tried && byKey > tried * 0.5, 'without the digest, a change in another officer\'s RecipientInfo passes the GCM tag: that is why open checks innerSha256')
})

t.test('openssl cms', async (t) => {
  if (!requireTool(t, OPENSSL_CMS)) return
  const d = scratchDir(t)
  const file = fileIn(d)
  const root = file('root.pem', fed.root.certPem)
  for (const list of Object.values(officers)) {
    for (const o of list) {
      file(`${o.agency}-${o.id}.sign.key.pem`, o.signing.keyPem)
      file(`${o.agency}-${o.id}.sign.crt.pem`, o.signing.chainPem)
      file(`${o.agency}-${o.id}.enc.key.pem`, o.encryption.keyPem)
      file(`${o.agency}-${o.id}.enc.crt.pem`, o.encryption.certPem)
    }
  }

  t.test('OpenSSL opens ours (decrypt with an officer key, verify both signers against the root)', async (t) => {
    const signed = cosignInner(signInner(letter, [attachment], [moiReg!.signer]), moiDep!.signer)
    const { inner } = encryptInner(signed, recipients)
    file('inner.p7m', inner)
    for (const o of ['mof-registrar', 'mof-deputy']) { // EC (KeyAgree) and RSA (KeyTrans)
      // README: open one
      run('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', file('inner.p7m'), '-inkey', file(`${o}.enc.key.pem`), '-recip', file(`${o}.enc.crt.pem`), '-out', file(`${o}-signed.p7s`)])
      run('openssl', ['cms', '-verify', '-inform', 'DER', '-in', file(`${o}-signed.p7s`), '-CAfile', root, '-binary', '-out', file(`${o}-bundle.bin`)])
      const bundle = readFileSync(file(`${o}-bundle.bin`))
      t.ok(bundle.equals(Buffer.concat(encodeBundle(letter, [attachment]))), `${o}: OpenSSL verifies both signatures and gets the bundle`)
      t.ok(readFileSync(file(`${o}-signed.p7s`)).equals(signed), 'the decrypted content is our SignedData')
    }
    const dgaStatus = status('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', file('inner.p7m'), '-inkey', file('dga-registrar.enc.key.pem'), '-recip', file('dga-registrar.enc.crt.pem'), '-out', file('dga.out')])
    t.not(dgaStatus, 0, 'OpenSSL with another officer key cannot open it')
  })

  t.test('ours opens what OpenSSL makes (sign, resign, encrypt AES-256-GCM to RSA-OAEP and ECDH officers)', async (t) => {
    file('bundle.bin', Buffer.concat(encodeBundle(letter, [attachment])))
    // README: make one
    run('openssl', ['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-in', file('bundle.bin'), '-signer', file('moi-registrar.sign.crt.pem'), '-inkey', file('moi-registrar.sign.key.pem'), '-outform', 'DER', '-out', file('signed1.p7s')])
    run('openssl', ['cms', '-resign', '-binary', '-nodetach', '-md', 'sha256', '-inform', 'DER', '-in', file('signed1.p7s'), '-signer', file('moi-deputy.sign.crt.pem'), '-inkey', file('moi-deputy.sign.key.pem'), '-outform', 'DER', '-out', file('signed2.p7s')])
    run('openssl', ['cms', '-encrypt', '-binary', '-aes-256-gcm', '-in', file('signed2.p7s'), '-outform', 'DER', '-out', file('openssl-inner.p7m'),
      '-recip', file('mof-deputy.enc.crt.pem'), '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256',
      '-recip', file('mof-registrar.enc.crt.pem'), '-keyopt', 'ecdh_kdf_md:sha256'])
    const inner = readFileSync(file('openssl-inner.p7m'))
    for (const o of [mofReg!, mofDep!]) {
      const opened = openInner(inner, o.opener, sha256Hex(inner))
      t.strictSame(opened.letter, letter, `${o.id} opens OpenSSL's inner envelope`)
      t.ok(opened.attachments[0]!.equals(attachment))
      const who = opened.signers.map((s) => officerBySigningCert(s.certificate, dir))
      t.equal(who.length, 2)
      checkLevel(opened.letter, who, undefined)
      t.pass('two distinct moi officers: the SECRET rule holds')
    }
    t.equal(codeOf(() => openInner(inner, officers['dga']![0]!.opener)), 'ERR_CLASSIFIED_NOT_FOR_YOU')
  })

  t.test('officer statements: OpenSSL makes one we verify, and verifies ours', async (t) => {
    const stmt = { v: 1, type: 'opened', agency: 'mof', officer: 'registrar', at: '2026-12-05T08:00:00.000Z', controlNumber: 'moi-2569-000123', innerSha256: 'a'.repeat(64), copy: { number: 1, of: 3 }, messageId: '5a2a0ba0-0000-4000-8000-000000000001' } as const
    file('stmt.json', JSON.stringify(stmt))
    // README: sign a statement
    run('openssl', ['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-in', file('stmt.json'), '-signer', file('mof-registrar.sign.crt.pem'), '-inkey', file('mof-registrar.sign.key.pem'), '-outform', 'DER', '-out', file('stmt.p7s')])
    t.strictSame(verifyStatement(readFileSync(file('stmt.p7s')), dir).statement, stmt, 'ours verifies OpenSSL\'s statement')
    run('openssl', ['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-in', file('stmt.json'), '-signer', file('mof-deputy.sign.crt.pem'), '-inkey', file('mof-deputy.sign.key.pem'), '-outform', 'DER', '-out', file('stmt-deputy.p7s')])
    t.equal(codeOf(() => verifyStatement(readFileSync(file('stmt-deputy.p7s')), dir)), 'ERR_STATEMENT_INVALID', 'signed by an officer other than the one it names')
    file('ours.p7s', makeStatement(stmt, mofReg!.signer))
    run('openssl', ['cms', '-verify', '-inform', 'DER', '-in', file('ours.p7s'), '-CAfile', root, '-binary', '-out', file('ours.json')])
    t.strictSame(JSON.parse(readFileSync(file('ours.json'), 'utf8')), stmt, 'OpenSSL verifies ours')
  })
})
