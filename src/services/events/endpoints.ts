// Webhook endpoints from the configuration (README "Notifications"): the secret comes from the variable
// named by secretEnv (read by the config loader) or from secretFile (read here, like key files).
import { readFileSync } from 'node:fs'
import { SarabanError, type FieldProblem } from '../../errors.js'
import type { WebhookConfig } from '../../config/types.js'
import { webhookKey } from './signature.js'
import type { WebhookEndpoint } from './webhooks.js'

export function webhookEndpoints(configs: readonly WebhookConfig[], readSecret: (file: string) => string = (f) => readFileSync(f, 'utf8')): WebhookEndpoint[] {
  const problems: FieldProblem[] = []
  const out: WebhookEndpoint[] = []
  configs.forEach((w, i) => {
    const at = `/notifications/webhooks/${i}`
    let secret = w.secret
    if (secret === undefined && w.secretFile !== undefined) {
      try {
        secret = readSecret(w.secretFile)
      } catch (err) {
        problems.push({ field: `${at}/secretFile`, message: `cannot read ${w.secretFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` })
        return
      }
    }
    const key = webhookKey(secret ?? '')
    if (!key.ok) {
      problems.push({ field: `${at}/${w.secretFile !== undefined ? 'secretFile' : 'secretEnv'}`, message: `the secret ${key.reason}` })
      return
    }
    out.push({
      name: w.name,
      url: w.url,
      key: key.key,
      ...(w.agencies ? { agencies: new Set(w.agencies) } : {}),
      ...(w.types ? { types: new Set(w.types) } : {}),
    })
  })
  if (problems.length > 0) throw new SarabanError('ERR_CONFIG_INVALID', 'the webhook configuration is not valid', { errors: problems })
  return out
}
