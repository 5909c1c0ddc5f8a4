// Checkpoints (PROTOCOL.md §20.4): a signed tree head of an agency's log is a compact JWS with the
// protected header exactly {"alg","typ":"saraban-checkpoint+jws","x5c"} whose payload is the C2SP
// tlog-checkpoint body (origin, size, base64 root, `time …`). It is signed with the same key and x5c
// chain as the agency's receipts, so a key on a PKCS#11 token signs it through its handle like any
// receipt, and any JOSE library verifies it. Whether the chain is trusted is decided by the caller
// (checkCheckpointSigner), as for receipts.
import type { X509Certificate } from 'node:crypto'
import { isSarabanError, SarabanError } from '../../errors.js'
import { fingerprint } from '../../pki/cert.js'
import type { TrustAnchors } from '../../pki/validate.js'
import type { Directory } from '../../pki/directory.js'
import type { SignerIdentity } from '../../crypto/types.js'
import { signCompact, verifyCompact } from '../../crypto/jose/jws.js'
import { MAX_CHECKPOINT_CHARS } from '../../crypto/jose/v1-receipt.js'
import { checkpointBody, logOrigin, parseCheckpointBody, type CheckpointBody } from '../../tlog/checkpoint.js'

export const CHECKPOINT_TYP = 'saraban-checkpoint+jws'
/** The media type of a checkpoint served alone (PROTOCOL.md §20.5). */
export const CHECKPOINT_MEDIA_TYPE = 'application/jose'
const ORIGIN_PREFIX = 'saraban/v1/log/'

/** The agency a log origin names, or undefined if it is not a saraban log origin. */
export function originAgency(origin: string): string | undefined {
  return origin.startsWith(ORIGIN_PREFIX) && origin.length > ORIGIN_PREFIX.length ? origin.slice(ORIGIN_PREFIX.length) : undefined
}

export interface VerifiedCheckpoint {
  readonly jws: string
  readonly body: CheckpointBody
  /** The agency named by the origin line. */
  readonly agency: string
  readonly chain: X509Certificate[]
}

/** Signs the checkpoint of `signer.agency`'s log. */
export function signCheckpoint(b: { size: number; root: Buffer; time: string }, signer: SignerIdentity, opts: { alg?: string } = {}): string {
  const body = checkpointBody({ origin: logOrigin(signer.agency), size: b.size, root: b.root, time: b.time })
  return signCompact(CHECKPOINT_TYP, Buffer.from(body, 'utf8'), signer, opts).toString('latin1')
}

function invalid(why: string, field?: string): SarabanError {
  return new SarabanError('ERR_CHECKPOINT_INVALID', `The log checkpoint does not verify: ${why}.`, field === undefined ? {} : { field })
}

/** Checkpoints verified lately, by their exact text: a peer's checkpoint changes only when it signs a
 *  new one, and one signature is shared by every receipt waiting at that moment (§20.5), so most
 *  receipts and envelopes carry one verified already. Measured in `npm run bench`: verifying each
 *  again cost the sender about 4% of its CPU. Only successes are kept; the result is immutable. */
const VERIFIED_MAX = 256
const verified = new Map<string, VerifiedCheckpoint>()

/** Signature and format (PROTOCOL.md §20.4). Every failure is ERR_CHECKPOINT_INVALID; trust is not judged here. */
export function verifyCheckpoint(jws: string | Buffer, field?: string): VerifiedCheckpoint {
  const text = Buffer.isBuffer(jws) ? jws.toString('latin1') : jws
  const known = verified.get(text)
  if (known) return known
  const c = verifyCheckpointOnce(Buffer.isBuffer(jws) ? jws : Buffer.from(jws, 'latin1'), field)
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!)
  verified.set(text, c)
  return c
}

function verifyCheckpointOnce(bytes: Buffer, field?: string): VerifiedCheckpoint {
  if (bytes.length > MAX_CHECKPOINT_CHARS) throw invalid(`longer than ${MAX_CHECKPOINT_CHARS} bytes`, field)
  let v
  try {
    v = verifyCompact(bytes, CHECKPOINT_TYP)
  } catch (e) {
    if (isSarabanError(e)) throw invalid(e.code === 'ERR_SIGNATURE_INVALID' ? 'bad signature' : (e.detail ?? e.code), field)
    throw e
  }
  let body: CheckpointBody
  try {
    body = parseCheckpointBody(v.payload.toString('utf8'))
  } catch (e) {
    throw invalid(`the body is not a checkpoint (${(e as Error).message})`, field)
  }
  const agency = originAgency(body.origin)
  if (agency === undefined) throw invalid(`the origin "${body.origin.slice(0, 100)}" is not ${ORIGIN_PREFIX}<agency>`, field)
  return { jws: bytes.toString('latin1'), body, agency, chain: v.chain }
}

/** PROTOCOL.md §20.6: the checkpoint is of `agency`'s log and signed with a signing certificate of
 *  that agency valid at the checkpoint's time. */
export async function checkCheckpointSigner(
  c: VerifiedCheckpoint,
  agency: string,
  deps: { anchors: TrustAnchors; directory: Directory },
  field?: string,
): Promise<void> {
  if (c.agency !== agency) throw invalid(`it is the log of "${c.agency}", not of "${agency}"`, field)
  const check = await deps.anchors.validate(c.chain, { at: new Date(c.body.time), role: 'signing' })
  if (!check.ok) throw invalid(`the signer certificate does not validate: ${check.reason}`, field)
  if (!deps.directory.isSigningCertOf(agency, fingerprint(c.chain[0]!))) throw invalid(`it is not signed by a signing certificate of "${agency}"`, field)
}
