// TimeCheckRequest (e-cms.md §3): the node's clock, so a client can see its own skew. Thai time
// (UTC+07:00) as e-CMS dates are Thai dates, with the offset written so nothing is ambiguous.
import { el } from '../xml.js'
import type { EcmsHandler } from '../dispatch.js'

/** yyyy-MM-ddTHH:mm:ss.SSS+07:00 of an instant. */
export function thaiTime(ms: number): string {
  return `${new Date(ms + 7 * 3600_000).toISOString().slice(0, 23)}+07:00`
}

export const timeCheckHandler: EcmsHandler = async (_call, deps) => ({
  root: 'TimeCheckResponse',
  children: [el('ProcessTime', undefined, thaiTime(deps.clock.now()))],
})
