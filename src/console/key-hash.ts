// An API key's lookup digest (the same SHA-256 hex as api/auth.ts; edges do not import each other).
import { createHash } from 'node:crypto'

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}
