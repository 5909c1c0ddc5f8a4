// The ports of the DEV federation (issue 21 §3): every listener of `dev-certs`, `demo` and the dev
// configs comes from one layout, none is random. Without --base-port the historic ports; with
// --base-port N a compact block N…N+14, so that two dev federations (two people, or a test suite and
// a developer) run side by side. dev-certs writes the layout to certs-dev/ports.env, which the README's
// commands source and the demo reads, so that a regenerated federation and its users agree.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CliError } from './args.js'

export const DEV_AGENCY_IDS = ['moi', 'mof', 'dga'] as const
export type DevAgencyId = (typeof DEV_AGENCY_IDS)[number]

export interface Listener { federation: number; api: number }
export interface DevPorts {
  /** The base port, or null for the historic layout. */
  base: number | null
  agencies: Record<DevAgencyId, Listener>
  /** A fourth agency joining (README "Joining a federation": opm). */
  newAgency: Listener
  /** The demo's hosting node (a circular to local administrations). */
  hosting: Listener
  /** `saraban-node tsa` and the demo's TSA. */
  tsa: number
  /** `saraban-node directory serve` (README "Running the federation operator's services"). */
  directory: number
}

/** The highest offset used: a base port N needs N…N+SPAN free. */
export const BASE_PORT_SPAN = 14

export function devPorts(base: number | null = null): DevPorts {
  if (base === null) {
    return {
      base: null,
      agencies: { moi: { federation: 8443, api: 8080 }, mof: { federation: 8444, api: 8081 }, dga: { federation: 8445, api: 8082 } },
      newAgency: { federation: 8446, api: 8083 },
      hosting: { federation: 8447, api: 8084 },
      tsa: 3180,
      directory: 8440,
    }
  }
  return {
    base,
    tsa: base,
    directory: base + 1,
    agencies: { moi: { federation: base + 2, api: base + 10 }, mof: { federation: base + 3, api: base + 11 }, dga: { federation: base + 4, api: base + 12 } },
    newAgency: { federation: base + 5, api: base + 13 },
    hosting: { federation: base + 6, api: base + 14 },
  }
}

/** --base-port, else SARABAN_BASE_PORT, else null (the historic layout). */
export function basePortOption(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number | null {
  const raw = flag ?? (env.SARABAN_BASE_PORT || undefined)
  if (raw === undefined) return null
  const n = Number(raw)
  const from = flag !== undefined ? '--base-port' : 'SARABAN_BASE_PORT'
  if (!Number.isInteger(n) || n < 1024 || n + BASE_PORT_SPAN > 65535) {
    throw new CliError(`${from} must be a whole number from 1024 to ${65535 - BASE_PORT_SPAN} (the federation uses it and the ${BASE_PORT_SPAN} ports after it), not "${raw}"`)
  }
  return n
}

const up = (s: string) => s.toUpperCase()

/** certs-dev/ports.env: shell assignments (`. certs-dev/ports.env`), one a line. */
export function portsEnv(p: DevPorts): string {
  const lines = [
    '# The ports of this DEV federation, written by `saraban-node dev-certs` (src/cli/dev-ports.ts).',
    '# In a shell: . certs-dev/ports.env   The signed directory.jws names the same federation endpoints.',
    `SARABAN_BASE_PORT=${p.base ?? ''}`,
  ]
  for (const id of DEV_AGENCY_IDS) {
    const a = p.agencies[id]
    lines.push(`${up(id)}_FEDERATION=https://127.0.0.1:${a.federation}`, `${up(id)}_API=http://127.0.0.1:${a.api}`)
  }
  lines.push(
    `NEW_AGENCY_FEDERATION_PORT=${p.newAgency.federation}`, `NEW_AGENCY_API_PORT=${p.newAgency.api}`,
    `HOSTING_FEDERATION_PORT=${p.hosting.federation}`, `HOSTING_API_PORT=${p.hosting.api}`,
    `TSA_PORT=${p.tsa}`, `DIRECTORY_PORT=${p.directory}`,
  )
  return lines.join('\n') + '\n'
}

/** The layout a dev federation folder was written with (its ports.env); the historic one without it. */
export function readDevPorts(certsDir: string): DevPorts {
  let text: string
  try {
    text = readFileSync(join(certsDir, 'ports.env'), 'utf8')
  } catch {
    return devPorts(null)
  }
  const base = /^SARABAN_BASE_PORT=(\d*)$/m.exec(text)?.[1]
  return devPorts(base ? Number(base) : null)
}
