// CorrespondenceDeleteGovernmentDocumentRequest (e-cms.md §3, 3.2.13): the sender deletes a letter in
// order to send it again, after a reject or invalid notifier; our `withdrawn` notice (PROTOCOL.md §18.4).
import type { EcmsHandler } from '../dispatch.js'
import { el } from '../xml.js'
import { clientWithdrew } from '../../../services/ecms/acks.js'
import { answering, letterKey } from './queue-answers.js'
import { thaiTime } from './time.js'

export const withdrawHandler: EcmsHandler = (call, deps) => answering(async () => {
  const key = letterKey(call.body)
  await clientWithdrew(deps.queue, call.agency, key)
  return {
    root: 'CorrespondenceDeleteGovernmentDocumentResponse',
    children: [el('LetterID', undefined, key.letterId), el('CorrespondenceDate', undefined, key.correspondenceDate), el('ProcessTime', undefined, thaiTime(deps.clock.now()))],
  }
})
