// A PrivateKeyHandle over a key on a PKCS#11 token (smart card, HSM, SoftHSM2): issue 12 §1. The key
// never leaves the token; each operation is one mechanism (PKCS#11 v2.40 Current Mechanisms, RSA and EC sections):
//   RS256 → CKM_SHA256_RSA_PKCS, PS256 → CKM_SHA256_RSA_PKCS_PSS (MGF1-SHA-256, salt 32),
//   ES256 → CKM_ECDSA over SHA-256(data) (r‖s), OAEP → CKM_RSA_PKCS_OAEP (SHA-256, MGF1-SHA-256,
//   empty label; a token without it, as SoftHSM 2.6, decrypts with CKM_RSA_X_509 and the padding is
//   removed here: oaep-decode.ts), ECDH → CKM_ECDH1_DERIVE (CKD_NULL) into a session secret whose CKA_VALUE is Z.
// The binding (pkcs11js) is an optional dependency: a machine without a compiler installs without it
// and only a node or officer that names a token learns that it is missing.
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import type * as Pkcs11Js from 'pkcs11js'
import type { HandleSignAlg, PrivateKeyHandle } from './handle.js'
import { oaepSha256Decode } from './oaep-decode.js'

export interface Pkcs11KeySpec {
  /** Path of the PKCS#11 module (.so / .dll), e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: string
  /** Slot ID as the module numbers it (pkcs11-tool --list-slots); or tokenLabel. */
  slot?: number
  tokenLabel?: string
  /** CKA_LABEL of the private key (and of its certificate and public key objects, if present). */
  keyLabel: string
  /** The user PIN. Secret: never logged, never in an error. */
  pin: string
}

export type Pkcs11Failure = 'binding-missing' | 'module-missing' | 'module-load' | 'token-not-found' | 'pin-incorrect' | 'pin-locked' | 'key-not-found' | 'key-type' | 'key-mismatch'

/** A token key could not be opened; `message` is one sentence saying what to do. */
export class Pkcs11KeyError extends Error {
  constructor(readonly reason: Pkcs11Failure, message: string) {
    super(message)
    this.name = 'Pkcs11KeyError'
  }
}

type Binding = typeof Pkcs11Js
type Handle = Buffer

const CKZ_DATA_SPECIFIED = 1 // CK_RSA_PKCS_OAEP_SOURCE_TYPE, PKCS#11 v2.40 (pkcs11js does not export it)
const P256_OID = Buffer.from('06082a8648ce3d030107', 'hex') // CKA_EC_PARAMS: namedCurve prime256v1 (RFC 5480)
const MIN_RSA_BITS = 2048 // PROTOCOL.md §1.2
/** What a token answers when it lacks OAEP with SHA-256: then CKM_RSA_X_509 and oaep-decode.ts. */
const REFUSED_PARAMS = new Set(['CKR_ARGUMENTS_BAD', 'CKR_MECHANISM_PARAM_INVALID', 'CKR_MECHANISM_INVALID'])

let binding: Binding | undefined
function loadBinding(): Binding {
  if (binding) return binding
  try {
    binding = createRequire(import.meta.url)('pkcs11js') as Binding
    return binding
  } catch {
    throw new Pkcs11KeyError('binding-missing', 'PKCS#11 keys are configured but the pkcs11js binding is not installed: run `npm install pkcs11js` on a machine with a C++ compiler, make and python3 (it is an optional dependency).')
  }
}

// One module load and one C_Initialize per module per process (PKCS#11 v2.40 base: C_Initialize
// twice is an error); C_Finalize when the last handle over it is closed.
interface LoadedModule { lib: Pkcs11Js.PKCS11; users: number }
const modules = new Map<string, LoadedModule>()

function acquireModule(p: Binding, path: string): LoadedModule {
  const known = modules.get(path)
  if (known) {
    known.users++
    return known
  }
  if (!existsSync(path)) throw new Pkcs11KeyError('module-missing', `The PKCS#11 module file ${path} does not exist: install the token's PKCS#11 library (e.g. Debian package softhsm2 or opensc) or correct the module path.`)
  const lib = new p.PKCS11()
  try {
    lib.load(path)
    lib.C_Initialize()
  } catch (e) {
    throw new Pkcs11KeyError('module-load', `The PKCS#11 module ${path} could not be loaded or initialised (${codeOf(e) ?? 'load failed'}): check that it is a PKCS#11 library for this machine's architecture.`)
  }
  const m = { lib, users: 1 }
  modules.set(path, m)
  return m
}

function releaseModule(path: string): void {
  const m = modules.get(path)
  if (!m || --m.users > 0) return
  modules.delete(path)
  try {
    m.lib.C_Finalize()
  } catch { /* already finalised */ }
}

/** The CKR_ name of a pkcs11js error ("CKR_PIN_INCORRECT"), or undefined. */
function codeOf(e: unknown): string | undefined {
  const m = e instanceof Error ? /CKR_[A-Z_]+/.exec(e.message) : null
  return m?.[0]
}

const trimLabel = (s: string): string => s.replace(/[\s\0]+$/, '')

/** A slot handle (CK_ULONG, native byte order) as the number pkcs11-tool prints. */
function slotId(h: Handle): number {
  return h.length >= 8 ? Number(h.readBigUInt64LE(0)) : h.readUInt32LE(0)
}

function findSlot(lib: Pkcs11Js.PKCS11, spec: Pkcs11KeySpec): Handle {
  const slots = lib.C_GetSlotList(true)
  const where = spec.tokenLabel !== undefined ? `labelled "${spec.tokenLabel}"` : `in slot ${spec.slot}`
  const found = slots.find((s) => {
    if (spec.slot !== undefined && slotId(s) !== spec.slot) return false
    return spec.tokenLabel === undefined || trimLabel(lib.C_GetTokenInfo(s).label) === spec.tokenLabel
  })
  if (!found) throw new Pkcs11KeyError('token-not-found', `No token ${where} is present in ${spec.module}: list the tokens with \`pkcs11-tool --module ${spec.module} --list-slots\` and correct the token label or slot.`)
  return found
}

function findObject(p: Binding, lib: Pkcs11Js.PKCS11, session: Handle, cls: number, label: string): Handle | undefined {
  lib.C_FindObjectsInit(session, [{ type: p.CKA_CLASS, value: cls }, { type: p.CKA_LABEL, value: label }])
  try {
    const found = lib.C_FindObjects(session, 2)
    return found[0]
  } finally {
    lib.C_FindObjectsFinal(session)
  }
}

function attr(lib: Pkcs11Js.PKCS11, session: Handle, obj: Handle, type: number): Buffer | undefined {
  try {
    const v = lib.C_GetAttributeValue(session, obj, [{ type }])[0]?.value
    return Buffer.isBuffer(v) ? v : undefined
  } catch {
    return undefined
  }
}

/** CKA_EC_POINT is a DER OCTET STRING around the uncompressed point (PKCS#11 v2.40, EC public key objects); some tokens store it raw. */
function ecPoint(v: Buffer): Buffer | undefined {
  if (v.length === 65 && v[0] === 4) return v
  if (v.length === 67 && v[0] === 0x04 && v[1] === 65 && v[2] === 4) return v.subarray(2)
  return undefined
}

function ecPublicKey(point: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' })
}

/** The public half: the token's public key object, else the certificate, else (RSA) the private object's public attributes. */
function publicKeyOf(p: Binding, lib: Pkcs11Js.PKCS11, session: Handle, priv: Handle, label: string, keyType: number, cert: X509Certificate | undefined): KeyObject | undefined {
  const pub = findObject(p, lib, session, p.CKO_PUBLIC_KEY, label)
  if (keyType === p.CKK_RSA) {
    const from = pub ?? priv
    const n = attr(lib, session, from, p.CKA_MODULUS)
    const e = attr(lib, session, from, p.CKA_PUBLIC_EXPONENT)
    if (n && e) return createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' })
  } else if (pub) {
    const point = attr(lib, session, pub, p.CKA_EC_POINT)
    const raw = point && ecPoint(point)
    if (raw) return ecPublicKey(raw)
  }
  return cert?.publicKey
}

function kindOf(p: Binding, lib: Pkcs11Js.PKCS11, session: Handle, priv: Handle, keyType: number, publicKey: KeyObject | undefined): 'rsa' | 'ec-p256' | undefined {
  if (keyType === p.CKK_RSA) return (publicKey?.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS ? 'rsa' : undefined
  if (keyType === p.CKK_EC) return attr(lib, session, priv, p.CKA_EC_PARAMS)?.equals(P256_OID) ? 'ec-p256' : undefined
  return undefined
}

/** The uncompressed point of a P-256 public key. */
function pointOf(pub: KeyObject): Buffer {
  const jwk = pub.export({ format: 'jwk' })
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')])
}

/**
 * Opens the private key labelled `spec.keyLabel` on a token, logs in with the user PIN and returns a
 * handle that signs, decrypts and derives on the token, with the certificate object of the same
 * label if the token holds one. Throws Pkcs11KeyError with one sentence for each way it can fail.
 */
export function openPkcs11Key(spec: Pkcs11KeySpec): { handle: PrivateKeyHandle; certificate?: X509Certificate } {
  const p = loadBinding()
  const mod = acquireModule(p, spec.module)
  const lib = mod.lib
  let session: Handle | undefined
  try {
    const slot = findSlot(lib, spec)
    const tokenLabel = trimLabel(lib.C_GetTokenInfo(slot).label)
    // Read-only: the derived ECDH secret is a session object, which R/O sessions may create (PKCS#11 v2.40 base, sessions);
    // a write-protected smart card refuses R/W sessions.
    session = lib.C_OpenSession(slot, p.CKF_SERIAL_SESSION)
    login(p, lib, session, tokenLabel, spec.pin)
    const where = `PKCS#11 token "${tokenLabel}" key "${spec.keyLabel}"`
    const priv = findObject(p, lib, session, p.CKO_PRIVATE_KEY, spec.keyLabel)
    if (!priv) throw new Pkcs11KeyError('key-not-found', `Token "${tokenLabel}" holds no private key labelled "${spec.keyLabel}": list its objects with \`pkcs11-tool --module ${spec.module} --login --list-objects\` and correct the key label.`)
    const certDer = ((c) => (c ? attr(lib, session!, c, p.CKA_VALUE) : undefined))(findObject(p, lib, session, p.CKO_CERTIFICATE, spec.keyLabel))
    const certificate = certDer ? new X509Certificate(certDer) : undefined
    const keyType = Number(lib.C_GetAttributeValue(session, priv, [{ type: p.CKA_KEY_TYPE }])[0]?.value?.readUInt32LE?.(0) ?? -1)
    const publicKey = publicKeyOf(p, lib, session, priv, spec.keyLabel, keyType, certificate)
    const kind = kindOf(p, lib, session, priv, keyType, publicKey)
    if (!kind || !publicKey) throw new Pkcs11KeyError('key-type', `${where} is not an RSA key of 2048 bits or more or an EC P-256 key with its public key or certificate on the token: only those are allowed (PROTOCOL.md §1.2).`)
    if (certificate && !certificate.publicKey.equals(publicKey)) throw new Pkcs11KeyError('key-mismatch', `${where}: the certificate labelled "${spec.keyLabel}" on the token is not the certificate of this key: write the matching certificate under the same label.`)
    const handle = tokenHandle(p, lib, session, priv, kind, publicKey, where, () => releaseModule(spec.module))
    return certificate ? { handle, certificate } : { handle }
  } catch (e) {
    if (session) try { lib.C_CloseSession(session) } catch { /* closing anyway */ }
    releaseModule(spec.module)
    throw e
  }
}

function login(p: Binding, lib: Pkcs11Js.PKCS11, session: Handle, tokenLabel: string, pin: string): void {
  try {
    lib.C_Login(session, p.CKU_USER, pin)
  } catch (e) {
    const code = codeOf(e)
    if (code === 'CKR_USER_ALREADY_LOGGED_IN') return // another handle of this process logged in to the token (login state is per application and token in PKCS#11)
    if (code === 'CKR_PIN_INCORRECT' || code === 'CKR_PIN_LEN_RANGE') throw new Pkcs11KeyError('pin-incorrect', `The PIN for token "${tokenLabel}" is wrong: check the PIN file or SARABAN_PKCS11_PIN (the token locks itself after a few wrong tries).`)
    if (code === 'CKR_PIN_LOCKED') throw new Pkcs11KeyError('pin-locked', `The user PIN of token "${tokenLabel}" is locked after too many wrong tries: have the security officer reset it (pkcs11-tool --init-pin --login --login-type so).`)
    throw new Pkcs11KeyError('pin-incorrect', `Logging in to token "${tokenLabel}" failed (${code ?? 'error'}): check the PIN and that the token is initialised.`)
  }
}

function tokenHandle(
  p: Binding, lib: Pkcs11Js.PKCS11, session: Handle, priv: Handle, kind: 'rsa' | 'ec-p256', publicKey: KeyObject, describe: string, release: () => void,
): PrivateKeyHandle {
  const modulusBytes = kind === 'rsa' ? Math.ceil(publicKey.asymmetricKeyDetails!.modulusLength! / 8) : 0
  let open = true
  let oaepOnToken: boolean | undefined // undefined: not tried yet
  const live = (): void => {
    if (!open) throw new Error(`${describe}: the handle is closed`)
  }
  const SIGN: Record<HandleSignAlg, { kind: typeof kind; mechanism: Pkcs11Js.Mechanism; prehash: boolean }> = {
    RS256: { kind: 'rsa', mechanism: { mechanism: p.CKM_SHA256_RSA_PKCS }, prehash: false },
    PS256: { kind: 'rsa', mechanism: { mechanism: p.CKM_SHA256_RSA_PKCS_PSS, parameter: { type: p.CK_PARAMS_RSA_PSS, hashAlg: p.CKM_SHA256, mgf: p.CKG_MGF1_SHA256, saltLen: 32 } as Pkcs11Js.RsaPSS }, prehash: false },
    // CKM_ECDSA signs a digest the caller made (PKCS#11 v2.40 Current Mechanisms, ECDSA) and returns r‖s: what ES256 wants.
    ES256: { kind: 'ec-p256', mechanism: { mechanism: p.CKM_ECDSA }, prehash: true },
  }
  return {
    kind,
    publicKey,
    describe,
    sign(alg, data) {
      live()
      const row = SIGN[alg]
      if (row.kind !== kind) throw new TypeError(`${describe}: ${alg} needs ${row.kind === 'rsa' ? 'an RSA' : 'an EC P-256'} key`)
      const input = row.prehash ? createHash('sha256').update(data).digest() : Buffer.from(data)
      lib.C_SignInit(session, row.mechanism, priv)
      return Buffer.from(lib.C_Sign(session, input, Buffer.alloc(kind === 'rsa' ? modulusBytes : 64)))
    },
    decryptOaepSha256(ciphertext) {
      live()
      if (kind !== 'rsa') throw new TypeError(`${describe}: RSA-OAEP needs an RSA key`)
      const input = Buffer.from(ciphertext)
      if (oaepOnToken !== false) {
        const parameter = { type: p.CK_PARAMS_RSA_OAEP, hashAlg: p.CKM_SHA256, mgf: p.CKG_MGF1_SHA256, source: CKZ_DATA_SPECIFIED } as Pkcs11Js.RsaOAEP
        try {
          lib.C_DecryptInit(session, { mechanism: p.CKM_RSA_PKCS_OAEP, parameter }, priv)
          oaepOnToken = true
        } catch (e) {
          // The token refuses the mechanism or its SHA-256 parameters (SoftHSM 2.6: SHA-1 only). This
          // depends on the token, never on the ciphertext, so it is decided once per handle.
          if (oaepOnToken === true || !REFUSED_PARAMS.has(codeOf(e) ?? '')) throw e
          oaepOnToken = false
        }
        if (oaepOnToken) return Buffer.from(lib.C_Decrypt(session, input, Buffer.alloc(modulusBytes)))
      }
      lib.C_DecryptInit(session, { mechanism: p.CKM_RSA_X_509 }, priv)
      return oaepSha256Decode(Buffer.from(lib.C_Decrypt(session, input, Buffer.alloc(modulusBytes))), modulusBytes)
    },
    deriveEcdh(peer) {
      live()
      if (kind !== 'ec-p256') throw new TypeError(`${describe}: ECDH needs an EC P-256 key`)
      if (peer.asymmetricKeyType !== 'ec' || peer.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new TypeError(`${describe}: the peer key is not on P-256`)
      // Z as a session object (never on the token), readable so that the caller runs its own KDF
      // (JOSE Concat KDF, CMS X9.63 KDF): CKD_NULL, CKK_GENERIC_SECRET, extractable, not sensitive.
      const secret = lib.C_DeriveKey(session, { mechanism: p.CKM_ECDH1_DERIVE, parameter: { type: p.CK_PARAMS_EC_DH, kdf: p.CKD_NULL, publicData: pointOf(peer) } as Pkcs11Js.ECDH1 }, priv, [
        { type: p.CKA_CLASS, value: p.CKO_SECRET_KEY },
        { type: p.CKA_KEY_TYPE, value: p.CKK_GENERIC_SECRET },
        { type: p.CKA_TOKEN, value: false },
        { type: p.CKA_SENSITIVE, value: false },
        { type: p.CKA_EXTRACTABLE, value: true },
        { type: p.CKA_VALUE_LEN, value: 32 },
      ])
      try {
        const z = attr(lib, session, secret, p.CKA_VALUE)
        if (!z || z.length !== 32) throw new Error(`${describe}: the token did not return a 32-byte ECDH secret`)
        return Buffer.from(z)
      } finally {
        lib.C_DestroyObject(session, secret)
      }
    },
    close() {
      if (!open) return
      open = false
      try {
        lib.C_CloseSession(session)
      } finally {
        release()
      }
    },
  }
}
