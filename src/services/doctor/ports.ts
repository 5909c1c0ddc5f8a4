// Check "ports" (issue 17 item 7): the federation and API ports can be bound. A port in use is a
// failure unless this node already runs there (the federation port shows our TLS certificate, the
// API port answers /healthz like a node): then doctor says so.
import { createServer } from 'node:net'
import { connect } from 'node:tls'
import { readFileSync } from 'node:fs'
import type { Config } from '../../config/index.js'
import { parsePemChain } from '../../pki/cert.js'
import { fail, ok, warn, type Finding } from './types.js'

const PROBE_MS = 3000

/** undefined: it could be bound (and was released); else the errno code. */
function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(undefined)))
  })
}

const dialHost = (host: string) => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host)

/** True when the federation listener there presents our own TLS certificate. */
function federationIsUs(config: Config): Promise<boolean> {
  let ours: Buffer | undefined
  try {
    ours = parsePemChain(readFileSync(config.tls.cert, 'utf8'))[0]?.raw
  } catch {
    return Promise.resolve(false)
  }
  return new Promise((resolve) => {
    const socket = connect({ host: dialHost(config.federation.host), port: config.federation.port, rejectUnauthorized: false, timeout: PROBE_MS }, () => {
      const raw = socket.getPeerCertificate().raw
      socket.destroy()
      resolve(ours !== undefined && raw !== undefined && raw.equals(ours))
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
  })
}

/** True when the API port answers GET /healthz with a node's health document. */
async function apiIsANode(config: Config): Promise<boolean> {
  try {
    const res = await fetch(`http://${dialHost(config.api.host)}:${config.api.port}/healthz`, { signal: AbortSignal.timeout(PROBE_MS) })
    const body = (await res.json()) as { status?: unknown }
    return typeof body.status === 'string'
  } catch {
    return false
  }
}

const ERRNO_FIX: Record<string, (host: string, port: number, key: string) => string> = {
  EACCES: (_h, port, key) => `Ports below 1024 need privileges: choose ${key} above 1023 (or give the service CAP_NET_BIND_SERVICE) for port ${port}.`,
  EADDRNOTAVAIL: (host, _p, key) => `${host} is not an address of this machine: set ${key.replace('port', 'host')} to one of its addresses, or 0.0.0.0.`,
}

async function onePort(config: Config, which: 'federation' | 'api'): Promise<Finding> {
  const { host, port } = config[which]
  const key = `${which}.port`
  if (port === 0) return ok(`${key} is 0: the system chooses a free port at start`)
  const code = await tryListen(host, port)
  if (code === undefined) return ok(`${host}:${port} (${key}) is free`)
  if (code !== 'EADDRINUSE') return fail(`cannot listen on ${host}:${port} (${key}): ${code}`, (ERRNO_FIX[code] ?? (() => `Choose another ${key}.`))(host, port, key))
  const us = which === 'federation' ? await federationIsUs(config) : await apiIsANode(config)
  if (us) {
    return warn(
      `${host}:${port} (${key}) is in use by a saraban node already running${which === 'federation' ? ' with this TLS certificate' : ''}`,
      'Stop the running node before starting this configuration (or leave it: it is this node).',
    )
  }
  return fail(
    `${host}:${port} (${key}) is in use by another program`,
    `Stop the program that uses it (\`ss -ltnp 'sport = :${port}'\` shows which), or choose another ${key}.`,
  )
}

export async function checkPorts({ config }: { config: Config }): Promise<Finding[]> {
  return [await onePort(config, 'federation'), await onePort(config, 'api')]
}
