// PROTOCOL.md §20.5: every envelope a sender seals carries its latest checkpoint, signed in the payload.
// A letter to one addressee of a profile with sealMany (jose-v2, cms-v1) took a shortcut to the one-
// recipient seal that dropped the checkpoint, in memory (sealMany) and into a sink (sealOneTo, the
// streamed path); the receiver then had no checkpoint of the sender to keep as a witness (§20.6).
import t from 'tap'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sealManyInput } from '../vectors/fixtures.js'
import { BufferOut } from '../../src/crypto/seal-sink.js'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { sealsMany } from '../../src/crypto/profiles.js'

const fed = await testFederation()
// The payload checks the checkpoint's form only (a compact JWS); the receiver verifies it later (§20.6).
const checkpoint = 'eyJhbGciOiJFUzI1NiJ9.eyJzaXplIjoxfQ.c2lnbmF0dXJl'
const pdf = bytesOf(20_000, 3)

t.test('one addressee: sealMany and sealOneTo carry the checkpoint in every profile', async (t) => {
  for (const profile of [joseV1, joseV2, cmsV1]) {
    const input = { ...sealManyInput(fed, 'moi', ['mof'], [pdf]), checkpoint }
    const routing = { messageId: input.recipients[0]!.messageId, from: 'moi', to: 'mof' }
    const key = fed.agencies.mof!.encryption.key
    if (sealsMany(profile)) {
      const many = await profile.sealMany(input)
      const env = Buffer.concat([many.parts[0]!.head, many.shared, many.parts[0]!.tail])
      t.equal((await profile.open(env, key, routing)).payload.checkpoint, checkpoint, `${profile.id}: sealMany`)
    }
    let out: BufferOut | undefined
    profile.sealOneTo(input, (size) => (out = new BufferOut(size)).put)
    t.equal((await profile.open(out!.done(), key, routing)).payload.checkpoint, checkpoint, `${profile.id}: sealOneTo`)
  }
})
