// `directory sign` input (PROTOCOL.md §14.6): the directory payload as plain JSON, with conveniences
// for an operator editing it by hand. Certificates may be given as "file:PATH" (a PEM file, relative
// to the input file) or as the PEM text itself: an agency role takes the first certificate,
// `intermediates` every one. An agency may be given as "file:PATH" too: the directory-entry.json that
// `init` wrote, whose own "file:" references are relative to that entry (issue 21 §4: an agency's
// folder travels to the operator's machine as it is). `version` defaults to 1, `issuedAt` to now, `nextUpdate` to issuedAt + validDays,
// `serial` to the previous published serial + 1 (or 1). The result is checked against
// schemas/protocol/directory.json before anything is signed.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { SarabanError } from '../errors.js'
import { check, schemaIds } from '../schema/index.js'
import { parsePemChain, toBase64Der } from '../pki/cert.js'
import type { DirectoryDocument } from '../pki/directory.js'

export interface InputDefaults {
  readonly now: Date
  readonly validDays: number
  readonly serial?: number
  /** Serial of the directory published before (the --out file), for the default and the check. */
  readonly previousSerial?: number
}

const DAY = 86_400_000
// The input is untrusted JSON being reshaped before the schema check; the check decides what it is.
type Loose = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
const FILE = 'file:'

const PEM = '-----BEGIN'

function certsFrom(ref: string, base: string, all: boolean, where: string): string[] {
  if (ref.trimStart().startsWith(PEM)) return pemCerts(ref, all, where, 'the PEM text')
  if (!ref.startsWith(FILE)) return [ref]
  const path = resolve(base, ref.slice(FILE.length))
  let text
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new SarabanError('ERR_REQUEST_INVALID', `${where}: cannot read a PEM certificate from ${path}: ${(err as Error).message}`, { field: where })
  }
  return pemCerts(text, all, where, path)
}

function pemCerts(text: string, all: boolean, where: string, from: string): string[] {
  let certs
  try {
    certs = parsePemChain(text)
  } catch (err) {
    throw new SarabanError('ERR_REQUEST_INVALID', `${where}: cannot read a PEM certificate from ${from}: ${(err as Error).message}`, { field: where })
  }
  return (all ? certs : certs.slice(0, 1)).map(toBase64Der)
}

/** An agency given as "file:PATH" (a directory-entry.json): its JSON, and the folder its references are relative to. */
function agencyEntry(a: unknown, base: string, where: string): { entry: unknown; base: string } {
  if (typeof a !== 'string' || !a.startsWith(FILE)) return { entry: a, base }
  const path = resolve(base, a.slice(FILE.length))
  try {
    return { entry: JSON.parse(readFileSync(path, 'utf8')) as unknown, base: dirname(path) }
  } catch (err) {
    throw new SarabanError('ERR_REQUEST_INVALID', `${where}: cannot read the agency entry ${path}: ${(err as Error).message}`, { field: where })
  }
}

/** Builds the payload to sign from the parsed input file at `file`. Throws ERR_REQUEST_INVALID listing every problem. */
export function directoryFromInput(input: unknown, file: string, d: InputDefaults): DirectoryDocument {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SarabanError('ERR_REQUEST_INVALID', `${file} must hold a JSON object`)
  const base = dirname(file)
  const raw = structuredClone(input) as Loose
  const serial = d.serial ?? (typeof raw.serial === 'number' ? raw.serial : (d.previousSerial ?? 0) + 1)
  const issuedAt = typeof raw.issuedAt === 'string' ? raw.issuedAt : d.now.toISOString()
  const nextUpdate = typeof raw.nextUpdate === 'string' ? raw.nextUpdate : new Date(Date.parse(issuedAt) + d.validDays * DAY).toISOString()
  const entries = Array.isArray(raw.agencies) ? (raw.agencies as unknown[]).map((a, i) => agencyEntry(a, base, `/agencies/${i}`)) : undefined
  const agencies: unknown = entries ? entries.map((e) => e.entry) : raw.agencies
  if (entries) {
    entries.forEach(({ entry, base }, i: number) => {
      const a = entry as Loose | null
      const certs = a?.certificates
      if (typeof certs !== 'object' || certs === null) return
      for (const role of ['tls', 'signing', 'encryption']) {
        if (Array.isArray(certs[role])) {
          certs[role] = certs[role].flatMap((c: unknown, j: number) => (typeof c === 'string' ? certsFrom(c, base, false, `/agencies/${i}/certificates/${role}/${j}`) : [c]))
        }
      }
      // PROTOCOL.md §19.1: officers' certificates may be "file:" references too (init --officer writes them so).
      const officers: unknown = a?.officers
      if (!Array.isArray(officers)) return
      officers.forEach((o: Loose | null, k: number) => {
        const oc = o?.certificates
        if (typeof oc !== 'object' || oc === null) return
        for (const role of ['officer-signing', 'officer-encryption']) {
          if (Array.isArray(oc[role])) {
            oc[role] = oc[role].flatMap((c: unknown, j: number) => (typeof c === 'string' ? certsFrom(c, base, false, `/agencies/${i}/officers/${k}/certificates/${role}/${j}`) : [c]))
          }
        }
      })
    })
  }
  const intermediates = Array.isArray(raw.intermediates)
    ? raw.intermediates.flatMap((c: unknown, j: number) => (typeof c === 'string' ? certsFrom(c, base, true, `/intermediates/${j}`) : [c]))
    : raw.intermediates
  const doc = { ...raw, version: raw.version ?? 1, serial, issuedAt, nextUpdate, agencies, ...(intermediates === undefined ? {} : { intermediates }) }
  const checked = check<DirectoryDocument>(schemaIds.directory, doc)
  if (!checked.ok) {
    throw new SarabanError('ERR_REQUEST_INVALID', `the directory in ${file} is not valid`, { errors: checked.errors })
  }
  if (d.previousSerial !== undefined && checked.value.serial <= d.previousSerial) {
    throw new SarabanError('ERR_DIRECTORY_ROLLBACK', `serial ${checked.value.serial} is not above the published serial ${d.previousSerial}: nodes would refuse it (PROTOCOL.md §14.3)`, { field: '/serial' })
  }
  if (Date.parse(checked.value.nextUpdate) <= Date.parse(checked.value.issuedAt)) {
    throw new SarabanError('ERR_REQUEST_INVALID', 'nextUpdate must be after issuedAt', { field: '/nextUpdate' })
  }
  return checked.value
}

/** The serial of a signed directory file, read without verifying (the operator's own output). */
export function publishedSerial(jws: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jws.trim().split('.')[1] ?? '', 'base64url').toString('utf8')) as { serial?: unknown }
    return typeof payload.serial === 'number' ? payload.serial : undefined
  } catch {
    return undefined
  }
}
