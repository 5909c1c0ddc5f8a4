// A hosted-agency file (PROTOCOL.md §16, schemas/config/hosted-agency.json) whose keys are on a
// SoftHSM2 token (issue 12 §1): loaded as token handles, reloaded when the PIN file changes, and a
// wrong PIN is one sentence naming the file.
import t from 'tap'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isKeyHandle } from '../../src/crypto/keys/private-key.js'
import { closeKeys } from '../../src/services/hosting/agencies.js'
import { agencyFileVersion, loadAgencyFile } from '../../src/services/hosting/agency-file.js'
import { testFederation } from '../helpers/federation.js'
import { softhsmMissing, softToken } from '../helpers/softhsm.js'

const missing = softhsmMissing()
if (missing) {
  t.comment(`skipped: ${missing}`)
  t.pass('skipped: SoftHSM2 is not installed')
} else {
  const fed = await testFederation()
  const tok = softToken('saraban-hosted')
  const dir = mkdtempSync(join(tmpdir(), 'saraban-hosted-token-'))
  t.teardown(() => {
    tok.remove()
    rmSync(dir, { recursive: true, force: true })
  })
  const mof = fed.agencies.mof!
  tok.importKey('mof-signing', mof.signing.keyPem, new X509Certificate(mof.signing.chainPem))
  tok.importKey('mof-encryption', mof.encryption.keyPem, new X509Certificate(mof.encryption.chainPem))
  writeFileSync(join(dir, 'signing.chain.pem'), mof.signing.chainPem)
  const file = join(dir, 'mof.json')
  const key = (keyLabel: string) => ({ module: tok.module, tokenLabel: tok.label, keyLabel, pinFile: 'token.pin' })
  writeFileSync(file, JSON.stringify({
    id: 'mof',
    signing: { pkcs11: key('mof-signing'), cert: 'signing.chain.pem' },
    encryption: [{ pkcs11: key('mof-encryption') }],
    apiKeys: [],
  }))

  t.test('the keys load as token handles with their certificates', async (t) => {
    writeFileSync(join(dir, 'token.pin'), tok.pin, { mode: 0o600 })
    const { agency } = loadAgencyFile(file, {})
    t.teardown(() => closeKeys(agency))
    t.ok(isKeyHandle(agency.signing[0]!.key))
    t.equal(agency.signing[0]!.chain[0]!.fingerprint256, new X509Certificate(mof.signing.chainPem).fingerprint256)
    t.equal(agency.signing[0]!.chain.length, mof.signing.chainPem.match(/BEGIN CERTIFICATE/g)!.length, 'the whole chain from the file')
    t.ok(isKeyHandle(agency.decryption[0]!.key))
    t.equal(agency.decryption[0]!.cert.fingerprint256, new X509Certificate(mof.encryption.chainPem).fingerprint256, 'the certificate from the token')
  })

  t.test('a changed PIN file changes the version (the folder reloads the agency)', async (t) => {
    writeFileSync(join(dir, 'token.pin'), tok.pin, { mode: 0o600 })
    const before = agencyFileVersion(file)
    writeFileSync(join(dir, 'token.pin'), '000000', { mode: 0o600 })
    t.not(agencyFileVersion(file), before)
  })

  t.test('a wrong PIN: one sentence naming the file, without the PIN', async (t) => {
    writeFileSync(join(dir, 'token.pin'), '000000', { mode: 0o600 })
    t.throws(() => loadAgencyFile(file, {}), { message: new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: The PIN for token "saraban-hosted" is wrong`) })
    try {
      loadAgencyFile(file, {})
    } catch (e) {
      t.notMatch((e as Error).message, /000000/)
    }
  })
}
