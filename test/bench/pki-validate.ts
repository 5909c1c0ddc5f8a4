// Cold path validation (PROTOCOL.md §4.2, §6.3, §15.2): N distinct leaves, each validated once for its
// role with the CRL check, as a circular's sender does (an encryption certificate per recipient at
// seal, a receipt signer per recipient after delivery). Prints validations/s; never asserts a time.
//   npx tsx test/bench/pki-validate.ts [N]
import { X509Certificate } from 'node:crypto'
import { testPki } from '../helpers/hosting.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { RevocationChecker } from '../../src/pki/revocation.js'
import { CrlSet } from '../../src/pki/crl-set.js'

const N = Number(process.argv[2] ?? 300)
const pki = await testPki()
const leaves = await Promise.all(Array.from({ length: N }, (_, i) => pki.issue('signing', `a${i}`)))
const crls = new CrlSet()
await crls.add(pki.crls.root, [pki.root.cert])
await crls.add(pki.crls.intermediate, [pki.ca.cert])
const anchors = new TrustAnchors([pki.root.cert], {
  intermediates: [pki.ca.cert],
  revocation: new RevocationChecker({ crls, mode: 'hard', now: () => Date.now() }),
})
// As a receipt's x5c arrives: fresh certificate objects for the leaf and the intermediate.
const chains = leaves.map((l) => [new X509Certificate(l.cert.raw), new X509Certificate(pki.ca.cert.raw)])
const at = new Date()
await anchors.validate([new X509Certificate(pki.directorySigner.cert.raw), pki.ca.cert], { at, role: 'directory' }) // warm-up
const t0 = performance.now()
let failed = 0
for (const chain of chains) if (!(await anchors.validate(chain, { at, role: 'signing' })).ok) failed++
const cold = performance.now() - t0
const t1 = performance.now()
for (const chain of chains) await anchors.validate(chain, { at, role: 'signing' })
const warm = performance.now() - t1
console.log(`${N} distinct leaves: cold ${(cold / N).toFixed(2)} ms each (${(N / cold * 1000).toFixed(0)}/s), cached ${(warm / N * 1000).toFixed(0)} µs each; ${failed} refused`)
