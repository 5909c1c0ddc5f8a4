// Content-Disposition of attachment downloads (RFC 6266 §4, RFC 8187 §3.2): an ASCII fallback
// `filename` and the exact UTF-8 name in `filename*`, with every non-attr-char percent-encoded.
import t from 'tap'
import { attachmentDisposition } from '../../src/api/content-disposition.js'

t.test('Thai names, quotes, the ext-value delimiter and parentheses', async (t) => {
  t.equal(attachmentDisposition('report.pdf'), `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`)
  t.equal(attachmentDisposition('หนังสือ.pdf'), `attachment; filename="_______.pdf"; filename*=UTF-8''%E0%B8%AB%E0%B8%99%E0%B8%B1%E0%B8%87%E0%B8%AA%E0%B8%B7%E0%B8%AD.pdf`)
  t.equal(attachmentDisposition(`it's "a" (1)*.txt`), `attachment; filename="it's _a_ (1)*.txt"; filename*=UTF-8''it%27s%20%22a%22%20%281%29%2A.txt`)
  t.equal(attachmentDisposition('a\\b;c=d.txt'), `attachment; filename="a_b;c=d.txt"; filename*=UTF-8''a%5Cb%3Bc%3Dd.txt`)
  const decoded = decodeURIComponent(attachmentDisposition('แผนผัง "ห้อง" (1).png').split("UTF-8''")[1]!)
  t.equal(decoded, 'แผนผัง "ห้อง" (1).png', 'filename* decodes to the exact name')
})
