// C-3.1-02 (PROTOCOL.md §3.1, §16.2): the kit checks the target's TLS server certificate as a sender
// must, and fails the case when the target presents another agency's certificate, one of another CA,
// one the directory does not list, or speaks TLS 1.2 only. A real TLS server at the target's endpoint
// presents each in turn; with the target's own certificate the case passes.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type Server } from 'node:https'
import { freePort } from '../../src/cli/free-port.js'
import { makeFederation } from '../../src/conformance/federation.js'
import { loadCredentials, type KitCredentials } from '../../src/conformance/credentials.js'
import { Session } from '../../src/conformance/session.js'
import { runConformance } from '../../src/conformance/run.js'
import { Directory, type DirectoryDocument } from '../../src/pki/directory.js'

const dir = mkdtempSync(join(tmpdir(), 'saraban-server-cert-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

async function serve(port: number, keyPem: string, chainPem: string, maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): Promise<Server> {
  const server = createServer({ key: keyPem, cert: chainPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2', maxVersion }, (_req, res) => {
    res.writeHead(404, { 'content-type': 'application/problem+json' })
    res.end('{"code":"ERR_NOT_FOUND"}')
  })
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()))
  return server
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()) })
}

async function serverCertCase(creds: KitCredentials, target: string, url: string) {
  const out: string[] = []
  const summary = await runConformance(new Session(creds, target, url), { only: ['C-3.1-02'], write: (l) => out.push(l) })
  return { result: summary.results[0]!, out }
}

t.test('C-3.1-02 passes with the target\'s certificate and fails with any other', async (t) => {
  const port = await freePort()
  const url = `https://127.0.0.1:${port}`
  const made = await makeFederation(dir, { targetUrl: url })
  const creds = await loadCredentials(made.credentials)
  const pem = (f: string) => readFileSync(join(dir, f), 'utf8')
  const targetKey = pem('target/tls.key.pem')
  const targetChain = pem('target/tls.chain.pem')

  const rows: Array<{ what: string; key: string; chain: string; creds?: KitCredentials; maxVersion?: 'TLSv1.2'; outcome: 'pass' | 'fail'; reason?: RegExp }> = [
    { what: 'the target\'s own certificate', key: targetKey, chain: targetChain, outcome: 'pass' },
    { what: 'another agency\'s certificate (kit-b, in the directory at another endpoint)', key: pem('kit/second/tls.key.pem'), chain: pem('kit/second/tls.chain.pem'), outcome: 'fail', reason: /directory pinning.*listed for agency "kit-b"/ },
    { what: 'a certificate of another CA', key: pem('kit/extra/foreign-tls.key.pem'), chain: pem('kit/extra/foreign-tls.chain.pem'), outcome: 'fail', reason: /validates to a federation root/ },
    { what: 'TLS 1.2 only', key: targetKey, chain: targetChain, maxVersion: 'TLSv1.2', outcome: 'fail', reason: /TLS 1\.3/ },
  ]
  // The target's own certificate, against a directory that does not list it (the same federation,
  // the target's tls list emptied): a certificate that chains to the root but is not pinned.
  const doc = JSON.parse(pem('directory.json')) as DirectoryDocument
  for (const a of doc.agencies) if (a.id === made.targetAgency) a.certificates.tls = []
  rows.push({ what: 'a certificate the directory does not list', key: targetKey, chain: targetChain, creds: { ...creds, directory: new Directory(doc) }, outcome: 'fail', reason: /is not in the directory/ })

  for (const row of rows) {
    const server = await serve(port, row.key, row.chain, row.maxVersion)
    try {
      const { result, out } = await serverCertCase(row.creds ?? creds, made.targetAgency, url)
      t.equal(result.outcome, row.outcome, `${row.what}: ${row.outcome}`)
      if (row.reason) t.match(result.message, row.reason, `${row.what}: the failure names the rule`)
      t.equal(out[0], 'TAP version 14')
      t.match(out.at(-1), row.outcome === 'pass' ? /^# CONFORMS: 1 tests, 1 pass/ : /^# DOES NOT CONFORM: 1 tests, 0 pass, 1 fail/)
    } finally {
      await close(server)
    }
  }
})
