// OutboundStatusRequest (e-cms.md §3 5.25): OutboundStatusResponse/Outbound*{ProcessID, LetterID, ProcessStatus}.
import { el, optEl } from '../xml.js'
import type { EcmsHandler } from '../dispatch.js'
import { OUTBOUND_STATES, outboundStatus } from '../../../services/ecms/status.js'

export const statusHandler: EcmsHandler = async (call, deps) => ({
  root: 'OutboundStatusResponse',
  children: outboundStatus(deps.status, call.agency, deps.clock.now()).map((s) =>
    el('Outbound', undefined, [
      el('ProcessID', undefined, s.processId),
      el('LetterID', undefined, s.letterId),
      el('CorrespondenceDate', undefined, s.correspondenceDate),
      el('ProcessStatus', undefined, s.state),
      el('ProcessStatusDescription', undefined, OUTBOUND_STATES[s.state]),
      ...optEl('AcceptID', undefined, s.acceptId),
    ]),
  ),
})
