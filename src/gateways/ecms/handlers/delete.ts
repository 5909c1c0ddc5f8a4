// CorrespondenceLetterDeleteRequest{ProcessID} (e-cms.md §3, 3.2.14): removes a pulled item from the
// caller's own queue. Idempotent: a second delete answers the same; the item stays re-fetchable.
import type { EcmsHandler } from '../dispatch.js'
import { childText, el } from '../xml.js'
import { EcmsError } from '../errors.js'
import { deleteItem } from '../../../services/ecms/pull.js'
import { answering } from './queue-answers.js'
import { thaiTime } from './time.js'

export const deleteHandler: EcmsHandler = (call, deps) => answering(async () => {
  const processId = childText(call.body, 'ProcessID')?.trim()
  if (!processId) throw new EcmsError('ECMS-E030', 'ProcessID is missing')
  await deleteItem(deps.queue, call.agency, processId)
  return { root: 'CorrespondenceLetterDeleteResponse', children: [el('ProcessID', undefined, processId), el('ProcessTime', undefined, thaiTime(deps.clock.now()))] }
})
