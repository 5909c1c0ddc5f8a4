// Issue 16 item 3: a hosting node finishes each rebuilt envelope's SHA-256 (PROTOCOL.md §6.2, §17.8)
// from a kept hash state of head ‖ shared; it must be the digest of the exact envelope withShared() makes.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { SharedDigests, withShared } from '../../src/federation/shared-ref.js'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

t.test('the digest of the rebuilt envelope, for parts sharing head and content and for others', async (t) => {
  const shared = randomBytes(200_000)
  const other = randomBytes(1000)
  const ref = (s: Buffer, offset: number) => ({ sha256: sha(s), offset, length: s.length })
  const d = new SharedDigests(2)
  const head = Buffer.from('{"ciphertext":"')
  const cases: Array<[Buffer, Buffer, number]> = []
  for (let i = 0; i < 5; i++) cases.push([Buffer.concat([head, randomBytes(300 + i)]), shared, head.length]) // one circular's parts
  cases.push([Buffer.concat([Buffer.from('another head'), randomBytes(50)]), shared, 12]) // same content, another head
  cases.push([Buffer.concat([head, randomBytes(40)]), other, head.length]) // another content
  cases.push([Buffer.concat([head, randomBytes(60)]), shared, head.length]) // back to the first, maybe evicted
  cases.push([Buffer.from(head), shared, head.length]) // an empty tail
  for (const [body, s, offset] of cases) {
    const r = ref(s, offset)
    t.equal(d.envelopeSha256(body, r, s), sha(withShared(body, r, s)))
  }
})
