// The files a configuration names, checked before the node opens anything (issue 21 §2): every
// problem is one sentence naming the config key (a JSON pointer, as the schema's problems are), the
// file, and what to do — a missing file, a passphrase that does not open its key, a key that is not
// the certificate's. All problems at once (house style §7); nothing is read twice by the node for it
// to run, only for it to say what is wrong before it starts.
import { readFileSync } from 'node:fs'
import { X509Certificate, type KeyObject } from 'node:crypto'
import type { FieldProblem } from '../errors.js'
import { invalid } from '../schema/index.js'
import { parsePemChain } from '../pki/cert.js'
import { loadPrivateKey } from '../pki/keys.js'
import { isTokenKey } from '../crypto/keys/token-config.js'
import type { Config, KeyFiles } from './types.js'

const FILE_REASONS: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'cannot be read by this user (permission denied)',
  EISDIR: 'is a directory, not a file',
}

function readable(problems: FieldProblem[], field: string, file: string, what: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    problems.push({ field, message: `the ${what} ${file} ${FILE_REASONS[code] ?? `cannot be read (${code || (err as Error).message})`}; correct the path in the config file or put the file there` })
    return undefined
  }
}

function certificates(problems: FieldProblem[], field: string, file: string, what: string): X509Certificate[] | undefined {
  const pem = readable(problems, field, file, what)
  if (pem === undefined) return undefined
  try {
    return parsePemChain(pem)
  } catch (err) {
    problems.push({ field, message: `the ${what} ${file} holds no readable PEM certificate (${(err as Error).message}); give the PEM file` })
    return undefined
  }
}

const PASSPHRASE_CODES = new Set(['ERR_OSSL_BAD_DECRYPT', 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED', 'ERR_MISSING_PASSPHRASE'])

function privateKey(problems: FieldProblem[], at: string, k: KeyFiles): KeyObject | undefined {
  const pem = readable(problems, `${at}/key`, k.key, 'key file')
  if (pem === undefined) return undefined
  try {
    return loadPrivateKey(pem, k.passphrase)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    if (!PASSPHRASE_CODES.has(code)) {
      problems.push({ field: `${at}/key`, message: `the key file ${k.key} is not a PEM private key this node reads (${(err as Error).message}); give the PKCS#8 PEM key` })
    } else if (k.passphraseEnv === undefined) {
      problems.push({ field: `${at}/passphraseEnv`, message: `the key file ${k.key} is encrypted: set ${at}/passphraseEnv to the name of the environment variable that holds its passphrase` })
    } else {
      problems.push({ field: `${at}/passphraseEnv`, message: `the passphrase in the environment variable ${k.passphraseEnv} does not open the key file ${k.key} (${at}/key); set ${k.passphraseEnv} to that key's passphrase` })
    }
    return undefined
  }
}

/** One key and its certificate chain (tls, an agency's signing or encryption key). */
function keyPair(problems: FieldProblem[], at: string, k: KeyFiles): void {
  const key = privateKey(problems, at, k)
  const chain = certificates(problems, `${at}/cert`, k.cert, 'certificate file')
  if (key === undefined || chain === undefined) return
  if (!chain[0]!.checkPrivateKey(key)) {
    problems.push({ field: `${at}/key`, message: `the key file ${k.key} is not the key of the certificate ${k.cert} (${at}/cert); give the key the certificate was issued for, or that key's certificate` })
  }
}

/** Every problem with the key, certificate and trust files of a configuration (none: []). */
export function configFileProblems(config: Config): FieldProblem[] {
  const problems: FieldProblem[] = []
  keyPair(problems, '/tls', config.tls)
  config.agencies.forEach((a, i) => {
    for (const role of ['signing', 'encryption'] as const) {
      const k = a[role]
      if (!isTokenKey(k)) keyPair(problems, `/agencies/${i}/${role}`, k) // a token's key is checked when opened
    }
  })
  config.trust.anchors.forEach((f, i) => certificates(problems, `/trust/anchors/${i}`, f, 'trust anchor file'))
  return problems
}

/** Throws ERR_CONFIG_INVALID listing every problem of configFileProblems. */
export function assertConfigFiles(config: Config): void {
  const problems = configFileProblems(config)
  if (problems.length > 0) throw invalid('ERR_CONFIG_INVALID', problems, `the configuration in ${config.file} cannot be used`)
}
