// TLS to the database (issue 19 §1): a private PostgreSQL cluster speaking TLS on 127.0.0.1 with a
// certificate from a throwaway CA (made with the openssl CLI). storage.postgresql.caFile makes the
// connection encrypted and verified: the right CA connects (and the server reports the session as
// TLS); another CA, a host name the certificate does not hold, and a server without TLS are refused,
// each with a sentence that says what to do.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { postgresMissing, startCluster, type TestCluster } from '../helpers/postgres.js'
import { connectClient, pgFailure } from '../../src/storage/postgresql/connect.js'
import { freePort } from '../../src/cli/free-port.js'

const missing = postgresMissing()

function ca(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`), key = join(dir, `${name}.key`)
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' })
  return { cert, key }
}

t.test('TLS to PostgreSQL, verified against storage.postgresql.caFile', missing !== undefined ? { skip: missing } : {}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-pg-tls-'))
  const clusters: TestCluster[] = []
  t.teardown(() => {
    for (const c of clusters) c.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  const dbCa = ca(dir, 'db-ca')
  const otherCa = ca(dir, 'other-ca')
  const serverKey = join(dir, 'server.key'), csr = join(dir, 'server.csr'), serverCert = join(dir, 'server.crt'), ext = join(dir, 'ext.cnf')
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', serverKey, '-out', csr, '-subj', '/CN=localhost'], { stdio: 'ignore' })
  writeFileSync(ext, 'subjectAltName=DNS:localhost\n')
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', dbCa.cert, '-CAkey', dbCa.key, '-CAcreateserial', '-out', serverCert, '-days', '2', '-extfile', ext], { stdio: 'ignore' })

  const port = await freePort()
  const cluster = startCluster({ tls: { certFile: serverCert, keyFile: serverKey, port } })
  clusters.push(cluster)

  const url = `postgres://saraban@localhost:${port}/postgres`
  const client = await connectClient({ url, caFile: dbCa.cert })
  const ssl = await client.query<{ ssl: boolean; version: string }>('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
  t.equal(ssl.rows[0]?.ssl, true, `the right CA connects, over TLS (${ssl.rows[0]?.version})`)
  await client.end()
  const relaxed = await connectClient({ url: `${url}?sslmode=disable`, caFile: dbCa.cert })
  const still = await relaxed.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
  t.equal(still.rows[0]?.ssl, true, 'a caFile is not undone by sslmode=disable in the URL')
  await relaxed.end()

  const refused = async (target: { url: string; caFile: string }, what: string, sentence: RegExp) => {
    const err = await connectClient(target).then((c) => { void c.end(); return undefined }, (e: unknown) => e)
    t.ok(err !== undefined, `${what}: refused`)
    t.match(pgFailure(target.url, err), sentence, `${what}: says what to do`)
  }
  await refused({ url, caFile: otherCa.cert }, 'a certificate from another CA', /the server's certificate was not accepted \([A-Z_]+\): storage\.postgresql\.caFile \(--ca-file\) must be the CA that signed it/)
  await refused({ url: `postgres://saraban@127.0.0.1:${port}/postgres`, caFile: dbCa.cert }, 'a host the certificate does not name', /does not name the host of the URL .*connect by a name the certificate holds/)

  const plainPort = await freePort()
  clusters.push(startCluster({ tls: { certFile: serverCert, keyFile: serverKey, port: plainPort, off: true } }))
  await refused({ url: `postgres://saraban@localhost:${plainPort}/postgres`, caFile: dbCa.cert }, 'a server without TLS', /does not speak TLS, and a CA file was given/)
})
