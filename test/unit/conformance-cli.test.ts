// `saraban-node conformance` options that shape the throwaway federation (--kit-profiles, --key-type)
// and the --target-api key: what --make-federation writes, and the one-sentence refusals.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { conformanceCommand } from '../../src/cli/conformance.js'
import { EXIT } from '../../src/cli/exit-codes.js'
import type { DirectoryDocument } from '../../src/pki/directory.js'

const dir = mkdtempSync(join(tmpdir(), 'saraban-conformance-cli-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('--make-federation --kit-profiles --key-type', async (t) => {
  const out = join(dir, 'fed')
  const code = await conformanceCommand.run(['--make-federation', out, '--target', 'https://127.0.0.1:9443', '--profiles', 'cms-v1,jose-v2', '--kit-profiles', 'cms-v1,jose-v1', '--key-type', 'rsa', '--hosting-node'])
  t.equal(code, EXIT.OK)
  const doc = JSON.parse(readFileSync(join(out, 'directory.json'), 'utf8')) as DirectoryDocument
  t.same(doc.agencies.find((a) => a.id === 'kit-a')?.profiles, ['cms-v1', 'jose-v1'], 'the kit agency accepts the --kit-profiles, in that order')
  t.same(doc.agencies.find((a) => a.id === 'target')?.profiles, ['cms-v1', 'jose-v2'])
  const signing = new X509Certificate(readFileSync(join(out, 'target', 'signing.chain.pem')))
  t.equal(signing.publicKey.asymmetricKeyType, 'rsa', 'the target\'s keys are RSA')
  t.same(doc.nodes?.map((n) => [n.id, n.endpoints, n.agencies]), [['target-node', ['https://127.0.0.1:9443'], ['target', 'target-2']]], '--hosting-node: a nodes entry hosting two agencies (§16.1)')
  const node = JSON.parse(readFileSync(join(out, 'target', 'node.json'), 'utf8')) as { agencies: Array<{ id: string }> }
  t.same(node.agencies.map((a) => a.id), ['target', 'target-2'], 'the target node.json hosts both')
})

t.test('refusals', async (t) => {
  await t.rejects(conformanceCommand.run(['--make-federation', join(dir, 'x'), '--target', 'https://127.0.0.1:9443', '--key-type', 'dsa']), { message: /--key-type dsa: give ec or rsa/, exitCode: EXIT.USAGE })
  const made = join(dir, 'fed2')
  await conformanceCommand.run(['--make-federation', made, '--target', 'https://127.0.0.1:9443'])
  const before = process.env['SARABAN_CONFORMANCE_API_KEY']
  delete process.env['SARABAN_CONFORMANCE_API_KEY']
  t.teardown(() => { if (before !== undefined) process.env['SARABAN_CONFORMANCE_API_KEY'] = before })
  await t.rejects(
    conformanceCommand.run(['--target', 'https://127.0.0.1:9443', '--agency', 'target', '--credentials', join(made, 'kit'), '--target-api', 'http://127.0.0.1:1']),
    { message: /SARABAN_CONFORMANCE_API_KEY/ },
    '--target-api without its key is refused before anything runs',
  )
})
