// Structural check of a directory payload after its signature verified (PROTOCOL.md §1.4). The JSON
// Schema in schemas/ is normative; this guards the types this module relies on.
import type { DirectoryAgency, DirectoryDocument } from './directory.js'
import { AGENCY_ID } from '../domain/ids.js'

const B64 = /^[A-Za-z0-9+/]+={0,2}$/

function fail(msg: string): never {
  throw new Error(msg)
}

function strings(v: unknown, where: string, test?: (s: string) => boolean): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && (test === undefined || test(s)))) fail(`${where} is not a list of valid strings`)
  return v as string[]
}

function isoTime(v: unknown, where: string): string {
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v)) || !/^\d{4}-\d\d-\d\dT/.test(v)) fail(`${where} is not an ISO 8601 time`)
  return v
}

function agency(v: unknown, i: number): DirectoryAgency {
  const a = v as Partial<DirectoryAgency> | null
  const at = `agencies[${i}]`
  if (typeof a !== 'object' || a === null) fail(`${at} is not an object`)
  if (typeof a.id !== 'string' || a.id.length < 2 || a.id.length > 64 || !AGENCY_ID.test(a.id)) fail(`${at}.id is not an agency id`)
  if (typeof a.nameTh !== 'string' || typeof a.nameEn !== 'string') fail(`${at} names are missing`)
  if (a.status !== 'active' && a.status !== 'suspended') fail(`${at}.status is not active|suspended`)
  strings(a.endpoints, `${at}.endpoints`, (s) => s.startsWith('https://'))
  strings(a.profiles, `${at}.profiles`)
  const c = a.certificates
  if (typeof c !== 'object' || c === null) fail(`${at}.certificates is missing`)
  for (const k of ['tls', 'signing', 'encryption'] as const) strings(c[k], `${at}.certificates.${k}`, (s) => B64.test(s))
  if (a.ecms !== undefined && (typeof a.ecms?.ministry !== 'string' || typeof a.ecms?.department !== 'string')) fail(`${at}.ecms is malformed`)
  return a as DirectoryAgency
}

export function checkDirectoryShape(v: unknown): DirectoryDocument {
  const d = v as Partial<DirectoryDocument> | null
  if (typeof d !== 'object' || d === null) fail('not an object')
  if (d.version !== 1) fail('version is not 1')
  if (!Number.isSafeInteger(d.serial) || (d.serial ?? -1) < 0) fail('serial is not a non-negative integer')
  isoTime(d.issuedAt, 'issuedAt')
  isoTime(d.nextUpdate, 'nextUpdate')
  if (!Array.isArray(d.agencies)) fail('agencies is not a list')
  d.agencies.forEach(agency)
  if (d.intermediates !== undefined) strings(d.intermediates, 'intermediates', (s) => B64.test(s))
  return d as DirectoryDocument
}
