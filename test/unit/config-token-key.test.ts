// Config: an agency key on a PKCS#11 token (issue 12 §1). The PIN comes from pinFile or
// SARABAN_PKCS11_PIN, is checked at boot and never appears in the loggable config; the TLS key
// cannot be on a token.
import t from 'tap'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, redactedConfig } from '../../src/config/index.js'
import { isSarabanError, type FieldProblem } from '../../src/errors.js'

const token = (extra: Record<string, unknown> = {}) => ({ pkcs11: { module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'moi-node', keyLabel: 'moi-signing', ...extra } })

function setup(signing: unknown, tls: unknown = { key: 'tls.key.pem', cert: 'tls.chain.pem' }) {
  const dir = join(mkdtempSync(join(tmpdir(), 'saraban-config-')), 'moi')
  mkdirSync(dir)
  const file = join(dir, 'node.json')
  writeFileSync(file, JSON.stringify({
    tls, trust: { anchors: ['root.crt.pem'], directory: 'directory.jws' },
    agencies: [{ id: 'moi', signing, encryption: { key: 'encryption.key.pem', cert: 'encryption.chain.pem' } }],
  }))
  return { dir, file }
}

function problems(file: string, env: NodeJS.ProcessEnv = {}): readonly FieldProblem[] {
  try {
    loadConfig({ file, env, packageRoot: process.cwd() })
  } catch (e) {
    if (isSarabanError(e)) return e.errors ?? []
    throw e
  }
  return []
}

t.test('a token key with a PIN file: resolved, PIN read, redacted when logged', async (t) => {
  const { dir, file } = setup({ ...token({ pinFile: 'token.pin' }), cert: 'signing.chain.pem' })
  writeFileSync(join(dir, 'token.pin'), '4711-secret\n', { mode: 0o600 })
  const c = loadConfig({ file, env: {}, packageRoot: process.cwd() })
  t.same(c.agencies[0]!.signing, { pkcs11: { module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'moi-node', keyLabel: 'moi-signing', pin: '4711-secret' }, cert: join(dir, 'signing.chain.pem') })
  t.notMatch(JSON.stringify(redactedConfig(c)), /4711-secret/)
  t.notMatch(JSON.stringify(c), /4711-secret/, 'toJSON is the redacted form')
  t.match(JSON.stringify(redactedConfig(c)), /"keyLabel":"moi-signing"/, 'where the key is may be logged')
})

t.test('the PIN from SARABAN_PKCS11_PIN when there is no pinFile', async (t) => {
  const { file } = setup(token())
  const c = loadConfig({ file, env: { SARABAN_PKCS11_PIN: '9999' }, packageRoot: process.cwd() })
  t.equal((c.agencies[0]!.signing as { pkcs11: { pin: string } }).pkcs11.pin, '9999')
})

t.test('no PIN either way, an unreadable PIN file, slot and label both, a TLS key on a token: boot fails naming the field', async (t) => {
  t.match(problems(setup(token()).file), [{ field: '/agencies/0/signing/pkcs11/pinFile', message: /SARABAN_PKCS11_PIN/ }])
  t.match(problems(setup(token({ pinFile: 'absent.pin' })).file), [{ field: '/agencies/0/signing/pkcs11', message: /PIN file .* cannot be read/ }])
  t.ok(problems(setup(token({ slot: 1, pinFile: 'p' })).file).length > 0, 'slot and tokenLabel: one of them')
  t.ok(problems(setup({ key: 'signing.key.pem', cert: 'signing.chain.pem' }, token({ pinFile: 'p' })).file, { SARABAN_PKCS11_PIN: '1' }).length > 0, 'the TLS key stays a file')
})
