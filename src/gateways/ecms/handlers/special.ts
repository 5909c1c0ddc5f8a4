// CorrespondenceLetterInboundSpecialRequest (e-cms.md §3): a given item again, deleted or not, named by
// its kind (the child element) and e-CMS's key (LetterID, CorrespondenceDate, departments).
import type { EcmsHandler } from '../dispatch.js'
import { EcmsError } from '../errors.js'
import { pullSpecial } from '../../../services/ecms/pull.js'
import { ECMS_ITEM_KINDS, type EcmsItemKind } from '../../../storage/ecms-queue.js'
import { answering, handoutChildren, letterKey } from './queue-answers.js'

export const specialHandler: EcmsHandler = (call, deps) => answering(async () => {
  const what = call.body.children[0]
  if (!what || !(ECMS_ITEM_KINDS as readonly string[]).includes(what.name)) {
    throw new EcmsError('ECMS-E030', `name the item as GovernmentDocument or one of ${ECMS_ITEM_KINDS.slice(1).join(', ')}`)
  }
  const h = await pullSpecial(deps.queue, call.agency, { kind: what.name as EcmsItemKind, ...letterKey(what) })
  if (!h) throw new EcmsError('ECMS-E041', `no ${what.name} for this LetterID and CorrespondenceDate was queued for this client`)
  return { root: 'CorrespondenceLetterInboundSpecialResponse', children: handoutChildren(h, deps.clock.now()) }
})
