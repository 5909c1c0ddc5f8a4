// Opaque keyset cursors for list endpoints: base64url("<ms>:<id>") of the last item of a page.
import { SarabanError } from '../errors.js'
import type { FastifyRequest } from 'fastify'

export interface Cursor {
  readonly before: number
  readonly beforeId: string
}

export function encodeCursor(ms: number, id: string): string {
  return Buffer.from(`${ms}:${id}`, 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (cursor === undefined) return undefined
  const m = /^(\d{1,15}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!m) throw new SarabanError('ERR_REQUEST_INVALID', 'The cursor is not one this node issued; pass nextCursor unchanged.', { field: '/query/cursor' })
  return { before: Number(m[1]), beforeId: m[2]! }
}

/** The agencies a list covers: the caller's, narrowed to ?agency= when given. */
export function listAgencies(request: FastifyRequest, agency: string | undefined): string[] {
  if (agency === undefined) return [...request.caller.agencies]
  if (!request.caller.agencies.includes(agency)) {
    throw new SarabanError('ERR_FORBIDDEN', `This API key does not act for "${agency}".`, { field: '/query/agency' })
  }
  return [agency]
}

// Lists ordered by one growing number (event ids, register numbers): base64url("<list>:<n>"), the
// list's name inside so that a cursor from one list is refused by another (README "Conventions").
export type SeqList = 'events' | 'register' | 'webhook-deliveries'

export function encodeSeqCursor(list: SeqList, n: number): string {
  return Buffer.from(`${list}:${n}`, 'utf8').toString('base64url')
}

export function decodeSeqCursor(list: SeqList, cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined
  const m = /^([a-z-]+):(0|[1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!m || m[1] !== list || !Number.isSafeInteger(Number(m[2]))) {
    throw new SarabanError('ERR_REQUEST_INVALID', 'The cursor is not one this list issued; pass nextCursor unchanged.', { field: '/query/cursor' })
  }
  return Number(m[2])
}
