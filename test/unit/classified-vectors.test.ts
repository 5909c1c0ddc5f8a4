// Runs this implementation against test/vectors/classified (PROTOCOL.md §19): every inner envelope
// opens (or fails with its code) with the vector officers' keys, the level rules apply, and every
// statement verifies (or fails with its code) against the vector officers. With OpenSSL present, it
// also opens the valid inner envelopes with `openssl cms -decrypt` + `-verify`, as the README says.
import t from 'tap'
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { openInner } from '../../src/classified/inner/open.js'
import { checkLevel } from '../../src/classified/levels.js'
import { officerBySigningCert, type AgencyOfficers } from '../../src/classified/officers.js'
import { verifyStatement } from '../../src/classified/statement.js'
import { keyObjectHandle } from '../../src/crypto/keys/handle.js'
import { SarabanError } from '../../src/errors.js'

const DIR = fileURLToPath(new URL('../vectors/classified/', import.meta.url))
const cases = JSON.parse(readFileSync(DIR + 'cases.json', 'utf8')) as {
  attachmentSha256: string
  officers: AgencyOfficers[]
  inner: { file: string; openWith: string[]; level?: string; signers?: string[]; error?: string; errorFor?: string; sha256: string }[]
  statements: { file: string; error?: string }[]
}
const opener = (who: string) => ({
  handle: keyObjectHandle(createPrivateKey(readFileSync(`${DIR}keys/${who}.enc.key.pem`))),
  certificate: new X509Certificate(readFileSync(`${DIR}keys/${who}.enc.crt.pem`)),
})
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f()
    return undefined
  } catch (e) {
    return e instanceof SarabanError ? e.code : `uncoded: ${(e as Error).message}`
  }
}
const opensslOk = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

for (const c of cases.inner) {
  t.test(c.file, async (t) => {
    const bytes = readFileSync(`${DIR}inner/${c.file}`)
    t.equal(createHash('sha256').update(bytes).digest('hex'), c.sha256)
    if (c.errorFor !== undefined) t.equal(codeOf(() => openInner(bytes, opener(c.errorFor!))), c.error, `${c.errorFor}: ${c.error}`)
    for (const who of c.openWith) {
      const run = () => {
        const o = openInner(bytes, opener(who), c.sha256)
        t.equal(o.letter.level, c.level)
        t.equal(createHash('sha256').update(o.attachments[0]!).digest('hex'), cases.attachmentSha256)
        const signers = o.signers.map((s) => officerBySigningCert(s.certificate, cases.officers))
        t.strictSame(signers.map((s) => `${s?.agency}:${s?.officer}`).sort(), [...c.signers!].sort())
        checkLevel(o.letter, signers, undefined)
      }
      if (c.error === undefined || c.errorFor !== undefined) {
        t.equal(codeOf(run), undefined, `${who} opens it`)
        if (opensslOk && c.errorFor === undefined) {
          const signed = execFileSync('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', `${DIR}inner/${c.file}`, '-inkey', `${DIR}keys/${who}.enc.key.pem`, '-recip', `${DIR}keys/${who}.enc.crt.pem`])
          const bundle = execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-CAfile', `${DIR}keys/root.crt.pem`, '-binary'], { input: signed, stdio: ['pipe', 'pipe', 'ignore'] })
          t.ok(bundle.includes(Buffer.from('"controlNumber"')), `openssl opens it with ${who}'s key`)
        }
      } else {
        t.equal(codeOf(run), c.error, `${who}: ${c.error}`)
      }
    }
  })
}

for (const c of cases.statements) {
  t.test(c.file, async (t) => {
    const der = readFileSync(`${DIR}statements/${c.file}`)
    t.equal(codeOf(() => verifyStatement(der, cases.officers)), c.error, c.error ?? 'verifies')
  })
}
