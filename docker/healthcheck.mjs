// The image's HEALTHCHECK (issue 17 item 8): GET /healthz on this container's own API port. The port
// is, in order: the first argument, SARABAN_API_PORT, api.port of the config file the node was started
// with (`--config` on PID 1's command line), else 8080. Before, the check fell back to 8080 alone, so
// with host networking every service of docker/compose.yaml probed moi's API.
import { readFileSync } from 'node:fs'

function configured() {
  try {
    const argv = readFileSync('/proc/1/cmdline', 'utf8').split('\0')
    const i = argv.indexOf('--config')
    if (i < 0 || !argv[i + 1]) return undefined
    const api = JSON.parse(readFileSync(argv[i + 1], 'utf8')).api ?? {}
    return { port: api.port, host: api.host }
  } catch {
    return undefined
  }
}

const fromFile = configured()
const port = Number(process.argv[2] ?? process.env.SARABAN_API_PORT ?? fromFile?.port ?? 8080)
const host = process.env.SARABAN_API_HOST ?? fromFile?.host ?? '127.0.0.1'
const dial = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
fetch(`http://${dial.includes(':') ? `[${dial}]` : dial}:${port}/healthz`, { signal: AbortSignal.timeout(2500) })
  .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))
