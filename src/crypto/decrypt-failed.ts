// PROTOCOL.md §4.2: a decryption failure says nothing more than its code, and says it one way,
// whatever failed (no key for the envelope, key unwrap, tag, a range that does not decrypt).
import { SarabanError } from '../errors.js'

export const DECRYPT_FAILED_TEXT = 'The envelope could not be decrypted.'

export function decryptFailed(): SarabanError {
  return new SarabanError('ERR_DECRYPT_FAILED', DECRYPT_FAILED_TEXT) // one message, no oracle
}
