// Register entries as the API shows them (schemas/api/register-entry.json): Buddhist-era years,
// RFC 3339 times, columns nobody filled left out.
import { beYearOfCe, FACT_KEYS } from '../domain/registers.js'
import type { RegisterEntry } from '../services/registers.js'

const iso = (ms: number) => new Date(ms).toISOString()

export function registerEntryView(e: RegisterEntry): Record<string, unknown> {
  const view: Record<string, unknown> = {
    agency: e.agency, book: e.book, year: beYearOfCe(e.year), number: e.number, status: e.status, recordedAt: iso(e.recordedAt),
  }
  for (const k of FACT_KEYS) if (e[k] !== null) view[k] = e[k]
  if (e.messageId !== null) view.messageId = e.messageId
  if (e.letterId !== null) view.letterId = e.letterId
  if (e.cancelledAt !== null) view.cancelledAt = iso(e.cancelledAt)
  if (e.cancelReason !== null) view.cancelReason = e.cancelReason
  return view
}
