// A forged CRL at start-up (issue 13 §1, PROTOCOL.md §15.1): a CRL naming the issuing CA, signed by
// another key, with cRLNumber 2^40, served before the directory brought the issuing CA. It must be
// refused, never kept under data/trust/, never ranked: the genuine CRL is accepted afterwards, and
// across restarts.
import t, { type Test } from 'tap'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeNetFiles } from '../helpers/nodes.js'
import { foreignFederation } from '../helpers/federation.js'
import { loadConfig } from '../../src/config/index.js'
import { createContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import { federationCrls, issueCertificate } from '../../src/pki/dev-ca.js'
import { issueCrl } from '../../src/pki/dev-crl.js'
import { lastGoodCrlFile } from '../../src/services/sources/crl-source.js'

const DAY = 86_400_000

/** A one-node net (trust overrides merged), a CRL with the issuing CA's name signed by a foreign key
 *  with cRLNumber 2^40, and a certificate the genuine CRLs revoke. */
async function setup(t: Test, trust: Record<string, unknown>) {
  const files = await writeNetFiles(['moi'], { trust })
  t.teardown(() => rmSync(files.dir, { recursive: true, force: true }))
  const { fed } = files
  const foreign = await foreignFederation()
  const forged = await issueCrl({ key: foreign.intermediate.key, cert: fed.intermediate.cert }, {
    entries: [], thisUpdate: new Date(Date.now() - 1000), nextUpdate: new Date(Date.now() + DAY), number: 2 ** 40,
  })
  const victim = await issueCertificate(fed.intermediate, { role: 'signing', keyType: 'ec', subject: { commonName: 'victim', agencyId: 'moi' } })
  return { files, fed, forged, victim }
}

t.test('a forged CRL served at start-up is refused, not kept, and does not lock out the genuine one', async (t) => {
  const { files, fed, forged, victim } = await setup(t, {})
  const genuine = await federationCrls(fed, { revoked: [{ cert: victim.cert, reason: 'keyCompromise' }], number: 2 })
  const crlFile = join(files.dir, 'issuing-ca.crl')
  const config = loadConfig({ file: files.agencies.moi!.configFile, env: {}, packageRoot: process.cwd() })
  const kept = lastGoodCrlFile(config.dataDir, config.trust.crls[1]!)
  const start = () => createContext(config, { log: createLogger('silent') })

  writeFileSync(crlFile, forged)
  await t.rejects(start(), 'hard mode: no verified CRL of the issuing CA, so the directory signer is unchecked')
  t.notOk(existsSync(kept), 'the forged CRL is not kept under data/trust/')

  writeFileSync(crlFile, genuine.intermediate)
  let ctx = await start()
  t.same(readFileSync(kept), genuine.intermediate, 'the genuine CRL is accepted and kept')
  const r = await ctx.anchors.validate(victim.chain, { at: new Date(), role: 'signing' })
  t.equal(!r.ok && r.code, 'ERR_CERT_REVOKED', 'and in force')

  writeFileSync(crlFile, forged) // replaced while running: now its issuer is known, the signature fails
  const [, mid] = await ctx.crlSources.refresh()
  t.equal(mid!.outcome, 'refused')
  t.equal(mid!.code, 'ERR_CRL_INVALID')
  t.same(readFileSync(kept), genuine.intermediate, 'the kept copy is unchanged')
  await ctx.close()

  ctx = await start() // restart with the forged CRL still served
  const again = await ctx.anchors.validate(victim.chain, { at: new Date(), role: 'signing' })
  t.equal(!again.ok && again.code, 'ERR_CERT_REVOKED', 'after a restart the genuine CRL is in force')
  t.same(readFileSync(kept), genuine.intermediate, 'and still the one kept')
  const newer = await federationCrls(fed, { revoked: [{ cert: victim.cert, reason: 'keyCompromise' }], number: 3 })
  writeFileSync(crlFile, newer.intermediate)
  const [, next] = await ctx.crlSources.refresh()
  t.equal(next!.outcome, 'updated', 'a newer genuine CRL is not refused as a rollback')
  t.same(readFileSync(kept), newer.intermediate)
  await ctx.close()
})

t.test('soft mode: a forged CRL at start-up does not hide a revocation published later', async (t) => {
  const { files, fed, forged, victim } = await setup(t, { revocation: 'soft' })
  const crlFile = join(files.dir, 'issuing-ca.crl')
  writeFileSync(crlFile, forged)
  const config = loadConfig({ file: files.agencies.moi!.configFile, env: {}, packageRoot: process.cwd() })
  const kept = lastGoodCrlFile(config.dataDir, config.trust.crls[1]!)
  const ctx = await createContext(config, { log: createLogger('silent') })
  t.teardown(() => ctx.close())
  t.notOk(existsSync(kept), 'the forged CRL is not kept')
  const genuine = await federationCrls(fed, { revoked: [{ cert: victim.cert, reason: 'keyCompromise' }], number: 2 })
  writeFileSync(crlFile, genuine.intermediate)
  const [, mid] = await ctx.crlSources.refresh()
  t.equal(mid!.outcome, 'updated')
  const r = await ctx.anchors.validate(victim.chain, { at: new Date(), role: 'signing' })
  t.equal(!r.ok && r.code, 'ERR_CERT_REVOKED', 'the revocation is in force')
  t.same(readFileSync(kept), genuine.intermediate)
})
