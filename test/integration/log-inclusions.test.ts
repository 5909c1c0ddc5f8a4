// Many inclusion proofs in one request (PROTOCOL.md §20.5 `proof/inclusions`), between real nodes over
// real mTLS: the answers are the single proofs, in the order asked; malformed lists and pairs out of
// range are refused as the single form refuses them; the sender's gathered proofs (§20.7) are asked
// in one request per recipient log, and one by one from a node that answers 404 (a node before it);
// a proof that came with its receipt (Saraban-Log-Proof) is kept at delivery and never asked.
import tap from 'tap'
import { testNet, call, waitForRecipient, thaiLetter, type TestNode } from '../helpers/nodes.js'
import { isSarabanError } from '../../src/errors.js'
import { peerLog } from '../../src/services/log/peer-log-client.js'
import { ReceivedProofFetcher } from '../../src/services/evidence/received-proofs.js'
import type { PeerLog } from '../../src/services/log/audit.js'
import { createLogger } from '../../src/log.js'
import { endpointOf } from '../../src/services/delivery/attempt.js'
import { SarabanError } from '../../src/errors.js'
import { queueAsIfNoHeader } from '../helpers/received-proofs.js'

const net = await testNet(['moi', 'mof'])
tap.teardown(() => net.stop())
const moi = net.nodes.moi!, mof = net.nodes.mof!
await moi.start()
await mof.start()

async function deliver(from: TestNode, n: number): Promise<string[]> {
  const ids = await Promise.all(Array.from({ length: n }, async () => {
    const sent = await call(from, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
    if (sent.status !== 202) throw new Error(JSON.stringify(sent.body))
    return sent.body.id as string
  }))
  for (const id of ids) await waitForRecipient(from, id, 'delivered')
  return ids
}
const firstLetters = await deliver(moi, 6)

const firstMessages = firstLetters.flatMap((id) => moi.ctx!.outbox.messagesForLetter(id).map((m) => m.messageId))

tap.test('each receipt came with its inclusion proof (Saraban-Log-Proof, §20.5): kept with the receipt, never asked', async (t) => {
  t.equal(firstMessages.length, 6)
  for (const mid of firstMessages) {
    const row = moi.ctx!.logEvidence.receivedProof(mid)
    t.ok(row?.proof, `${mid}: the proof is kept with the delivery`)
    t.equal(moi.ctx!.logEvidence.store.get(mid), undefined, `${mid}: no fetch was queued`)
    t.same(row?.proof?.map((h) => h.toString('base64')), mof.ctx!.logWitness.proofs.inclusion('mof', row!.index, row!.size).proof, `${mid}: it is mof's proof of the receipt's entry`)
  }
})

const client = () => peerLog(moi.ctx!.peers, () => moi.ctx!.directory())
const code = async (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: unknown) => (isSarabanError(e) ? `${e.code} ${e.field ?? ''}`.trim() : String(e)))

tap.test('proof/inclusions answers the single proofs, in the order asked', async (t) => {
  const size = mof.ctx!.logWitness.local.head('mof').size
  t.ok(size >= 6, `mof's log has ${size} entries`)
  const pairs = [{ index: size - 1, size }, { index: 0, size: 1 }, { index: 2, size: size - 1 }, { index: 2, size }]
  const many = await client().inclusions!('mof', pairs)
  t.equal(many.length, pairs.length)
  for (const [i, p] of pairs.entries()) {
    t.same(many[i], await client().inclusion('mof', p.index, p.size), `pair ${i + 1} is the single proof of ${p.index} in ${p.size}`)
  }
})

tap.test('proof/inclusions refuses what the single form refuses, naming the parameter', async (t) => {
  const size = mof.ctx!.logWitness.local.head('mof').size
  const get = (q: string) => call(mof, 'GET', `/api/v1/log/mof/proof/inclusion?${q}`) // the REST API keeps the single form only
  t.equal((await get('index=0&size=1')).status, 200)
  // As a peer could send them (the client always sends well-formed lists).
  const raw = async (q: string) => {
    const res = await moi.ctx!.peers.get(endpointOf(moi.ctx!.directory(), 'mof')!, `federation/v1/log/mof/proof/inclusions?${q}`)
    return `${res.status} ${(JSON.parse(res.body.toString('utf8')) as { code: string; field?: string }).code} ${(JSON.parse(res.body.toString('utf8')) as { field?: string }).field}`
  }
  t.equal(await raw(`index=0,0&size=1,${size + 1}`), '400 ERR_LOG_RANGE size', 'a size beyond the head (the second pair)')
  t.equal(await raw('index=3&size=3'), '400 ERR_LOG_RANGE index', 'an index not below its size')
  t.equal(await raw(`index=${Array(65).fill(0).join(',')}&size=${Array(65).fill(1).join(',')}`), '400 ERR_REQUEST_INVALID index', 'more than 64 pairs')
  t.equal(await code(client().inclusions!('mof', [{ index: 3, size: 3 }])), 'ERR_LOG_RANGE', 'the client names the refusal')
  t.equal(await raw('index=0,1&size=2'), '400 ERR_REQUEST_INVALID size', 'one size per index')
  t.equal(await raw('index=0,,1&size=2,2'), '400 ERR_REQUEST_INVALID index', 'an empty item')
  t.equal(await raw('index=01&size=2'), '400 ERR_REQUEST_INVALID index', 'a leading zero')
  t.equal(await raw('index=0&size=-1'), '400 ERR_REQUEST_INVALID size', 'a sign')
  t.equal(await raw('index=0&size=1&size=1'), '400 ERR_REQUEST_INVALID size', 'a parameter twice')
})

const fetcherOf = (peer: PeerLog) => new ReceivedProofFetcher({ db: moi.ctx!.db, store: moi.ctx!.logEvidence.store, peer, clock: moi.ctx!.clock, logger: createLogger('silent') })

/** moi's gathered proofs forgotten and asked again by `fetcher`; how many it kept. */
async function refetch(fetcher: ReceivedProofFetcher): Promise<number> {
  const sqlite = moi.ctx!.db.sqlite
  // As from a node that sends no Saraban-Log-Proof: the kept proofs go, their fetches are queued.
  await queueAsIfNoHeader(moi.ctx!, firstMessages)
  sqlite.prepare('UPDATE log_received_proofs SET proof = NULL, attempts = 0, next_attempt_at = 0').run()
  await fetcher.kick()
  return sqlite.prepare('SELECT count(*) FROM log_received_proofs WHERE proof IS NOT NULL').pluck().get() as number
}

tap.test('the sender asks its gathered proofs in one request per recipient log', async (t) => {
  moi.ctx!.logEvidence.fetcher.close() // the node's own fetcher stays out of the counts
  const real = client()
  const calls = { one: 0, many: 0 }
  const counted: PeerLog = {
    ...real,
    inclusion: (a, i, s) => (calls.one++, real.inclusion(a, i, s)),
    inclusions: (a, pairs) => (calls.many++, real.inclusions!(a, pairs)),
  }
  const queued = firstMessages.length
  const fetcher = fetcherOf(counted)
  t.teardown(() => fetcher.close())
  t.equal(await refetch(fetcher), queued, 'every proof fetched, checked and kept')
  t.same(calls, { one: 0, many: 1 }, 'one request')
})

tap.test('a node without proof/inclusions (404) is asked one by one, and remembered', async (t) => {
  const real = client()
  const calls = { one: 0, many: 0 }
  // A node before proof/inclusions: the same request to a path it does not serve, answered by the real server (404).
  const older: PeerLog = {
    ...real,
    inclusion: (a, i, s) => (calls.one++, real.inclusion(a, i, s)),
    inclusions: async (a) => {
      calls.many++
      const res = await moi.ctx!.peers.get(endpointOf(moi.ctx!.directory(), a)!, `federation/v1/log/${a}/proof/no-such-route?index=0&size=1`)
      throw new SarabanError((JSON.parse(res.body.toString('utf8')) as { code: 'ERR_NOT_FOUND' }).code, `answered ${res.status}`)
    },
  }
  const queued = firstMessages.length
  const fetcher = fetcherOf(older)
  t.teardown(() => fetcher.close())
  t.equal(await refetch(fetcher), queued, 'every proof fetched one by one')
  t.same(calls, { one: queued, many: 1 })
  t.equal(await refetch(fetcher), queued, 'again')
  t.same(calls, { one: 2 * queued, many: 1 }, 'the 404 is remembered: not asked in one request again')
})
