// Loggers are declared once (house style §10). Letter contents, keys and API keys never reach a log line:
// the redact list removes authorization headers, and services log ids and codes only.
import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger }

export function createLogger(level: LevelWithSilent, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'saraban-node' },
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', '*.key', '*.passphrase', '*.apiKey'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as never,
  )
}
