// CorrespondenceLetterInboundRequest (e-cms.md §3, 3.2.7–3.2.12): the next item of the caller's queue,
// the same one until it is deleted (services/ecms/pull.ts).
import type { EcmsHandler } from '../dispatch.js'
import { pullNext } from '../../../services/ecms/pull.js'
import { answering, handoutChildren } from './queue-answers.js'

export const inboundHandler: EcmsHandler = (call, deps) => answering(async () => {
  const h = await pullNext(deps.queue, call.agency)
  return { root: 'CorrespondenceLetterInboundResponse', children: handoutChildren(h, deps.clock.now()) }
})
