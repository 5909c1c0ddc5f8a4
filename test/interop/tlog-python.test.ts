// The transparency-log vectors (test/vectors/tlog/) checked by an independent implementation:
// python3 with hashlib (RFC 9162 §2.1 written from the RFC) and python3-jwcrypto (checkpoint
// signatures), test/interop/tlog-check.py. Every case must come out as the vector says.
import t from 'tap'
import { fileURLToPath } from 'node:url'
import { JWCRYPTO, PYTHON, requireTool, run } from './tools.js'

const TOOL = fileURLToPath(new URL('./tlog-check.py', import.meta.url))
const VECTORS = fileURLToPath(new URL('../vectors/tlog/', import.meta.url))
const KEYS = fileURLToPath(new URL('../vectors/jose-v1/keys.json', import.meta.url))

if (requireTool(t, JWCRYPTO)) {
  t.test('python3 hashlib + jwcrypto agree with every tlog vector', async (t) => {
    const r = JSON.parse(run(PYTHON, [TOOL, VECTORS, KEYS]).toString('utf8'))
    t.same(r.disagree, [], 'no case disagrees')
    t.ok(r.inclusion >= 240 && r.consistency >= 240, `${r.inclusion} inclusion and ${r.consistency} consistency cases checked`)
    t.equal(r.signed, 10, 'every signed checkpoint checked with jwcrypto')
    t.ok(r.inclusions >= 9, `${r.inclusions} proof/inclusions cases read (the answers' proofs verified)`)
  t.ok(r.proofHeaders >= 12, `${r.proofHeaders} Saraban-Log-Proof cases judged as the vectors say`)
  })
}
