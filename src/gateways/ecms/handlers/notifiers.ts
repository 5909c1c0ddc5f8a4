// The notifiers a client sends inside CorrespondenceLetterOutboundRequest (e-cms.md §3, 3.2.2–3.2.6) as
// our acts (services/ecms/acks.ts). The answer repeats the notifier with AcceptDate and
// AcceptDepartment/Code added, as e-CMS does (e-cms.md §4 "Notifier responses").
import { randomUUID } from 'node:crypto'
import type { EcmsHandler } from '../dispatch.js'
import { el } from '../xml.js'
import { EcmsError } from '../errors.js'
import { notifierToXml, type EcmsNotifierKind } from '../model.js'
import { clientAccepted, clientDisputed, clientReceived, clientRejected, type AckAnswer, type LetterKey } from '../../../services/ecms/acks.js'
import type { EcmsQueueDeps } from '../../../services/ecms/deps.js'
import { childText } from '../xml.js'
import { answering, letterKey } from './queue-answers.js'
import { thaiTime } from './time.js'

type Act = (d: EcmsQueueDeps, agency: string, key: LetterKey, acceptId: string | undefined) => Promise<AckAnswer>

/** Notifier → act. InvalidAcceptIDNotifier is the sender's: a signed `disputed` notice (PROTOCOL.md §18.4). */
const ACTS: Readonly<Record<EcmsNotifierKind, Act>> = {
  ReceiveLetterNotifier: (d, a, k) => clientReceived(d, a, k),
  AcceptLetterNotifier: (d, a, k, acceptId) => clientAccepted(d, a, k, acceptId ?? ''),
  RejectLetterNotifier: (d, a, k) => clientRejected(d, a, k, false),
  InvalidLetterNotifier: (d, a, k) => clientRejected(d, a, k, true),
  InvalidAcceptIDNotifier: (d, a, k, acceptId) => clientDisputed(d, a, k, acceptId ?? ''),
}

export const notifierHandler: EcmsHandler = (call, deps) => answering(async () => {
  const n = call.body.children[0]!
  const kind = n.name as EcmsNotifierKind
  const act = ACTS[kind]
  const key = letterKey(n)
  const acceptId = childText(n, 'AcceptID')
  if ((kind === 'AcceptLetterNotifier' || kind === 'InvalidAcceptIDNotifier') && acceptId === undefined) throw new EcmsError('ECMS-E030', `${kind}/AcceptID is missing`)
  const r = await act(deps.queue, call.agency, key, acceptId)
  const echoed = notifierToXml({
    kind, letterId: key.letterId, correspondenceDate: key.correspondenceDate, subject: childText(n, 'Subject') ?? '',
    ...(acceptId !== undefined ? { acceptId } : {}), acceptDate: thaiTime(Date.parse(r.acceptDate)), acceptDepartment: r.acceptDepartment,
  })
  // The templates write processID in lower camel case for notifier answers (e-cms.md §3).
  return { root: 'CorrespondenceLetterOutboundResponse', children: [el('processID', undefined, r.notice?.messageId ?? randomUUID()), el('ProcessTime', undefined, thaiTime(deps.clock.now())), echoed] }
})
