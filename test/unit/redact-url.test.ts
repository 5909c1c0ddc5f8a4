// URLs shown in /healthz and logs carry no credentials or tokens (issue 13 §1).
import t from 'tap'
import { redactUrl, redactUrlsIn } from '../../src/config/redact.js'
import { documentFetcher } from '../../src/services/sources/fetch-document.js'
import { freePort } from '../../src/cli/free-port.js'

t.test('user info, query string and fragment are removed; file paths are kept', async (t) => {
  t.equal(redactUrl('https://user:secret@ca.example.go.th:8443/crl/issuing.crl?token=abc#x'), 'https://ca.example.go.th:8443/crl/issuing.crl')
  t.equal(redactUrl('https://host/path'), 'https://host/path')
  t.equal(redactUrl('/etc/saraban/crl/issuing.crl'), '/etc/saraban/crl/issuing.crl')
  t.equal(redactUrlsIn('redirected from https://a:b@h/p?k=1 to https://h/q#f, HTTP 500'), 'redirected from https://h/p to https://h/q HTTP 500')
})

t.test('a trust source names its URL redacted, in its location and in its errors', async (t) => {
  const port = await freePort()
  const f = documentFetcher(`https://user:s3cret@127.0.0.1:${port}/crl?token=t0ken`, { timeoutMs: 2000, maxBytes: 1024 })
  t.teardown(() => f.close())
  t.equal(f.location, `https://127.0.0.1:${port}/crl`)
  const err = await f.fetch().then(() => undefined, (e: Error) => e)
  t.ok(err, 'nobody listens')
  t.notMatch(err!.message, /s3cret|t0ken/)
})
