// The one JSON shape of an event, shared by the SSE `data:` line, GET /api/v1/events (JSON) and the
// webhook body (schemas/api/event.json). Its type/timestamp/data members follow the payload shape the
// Standard Webhooks specification recommends.
import { isoTime } from '../../clock.js'
import type { StoredEvent } from '../../storage/events.js'

export interface EventView {
  readonly id: number
  readonly type: string
  readonly timestamp: string
  readonly agency: string
  readonly letterId?: string
  readonly messageId?: string
  readonly data: Record<string, unknown>
}

export function eventView(e: StoredEvent): EventView {
  return {
    id: e.id,
    type: e.type,
    timestamp: isoTime(e.at),
    agency: e.agency,
    ...(e.letterId !== undefined ? { letterId: e.letterId } : {}),
    ...(e.messageId !== undefined ? { messageId: e.messageId } : {}),
    data: JSON.parse(e.dataJson) as Record<string, unknown>,
  }
}

/** The exact JSON text sent (SSE data line and webhook body): one line, no trailing newline. */
export function eventJson(e: StoredEvent): string {
  return JSON.stringify(eventView(e))
}
