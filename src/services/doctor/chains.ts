// Check "chains" (issue 17 item 7): each certificate chain validates (RFC 5280, with the role rules
// of pki/roles.ts) to the configured trust anchors now. Revocation is left to the node's CRL check.
import { readFileSync } from 'node:fs'
import type { X509Certificate } from 'node:crypto'
import type { Config } from '../../config/index.js'
import { parsePemChain } from '../../pki/cert.js'
import { TrustAnchors } from '../../pki/validate.js'
import { certFile, keyPairs } from './key-pairs.js'
import { fail, ok, type Finding } from './types.js'

const readChain = (file: string): X509Certificate[] | undefined => {
  try {
    return parsePemChain(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

/** The anchors, or undefined when none can be read (the files check says which). */
export function configAnchors(config: Config): TrustAnchors | undefined {
  const certs = config.trust.anchors.flatMap((f) => readChain(f) ?? [])
  return certs.length > 0 ? new TrustAnchors(certs) : undefined
}

export async function checkChains({ config, now }: { config: Config; now: () => Date }): Promise<Finding[]> {
  const anchors = configAnchors(config)
  if (anchors === undefined) return [fail('no trust anchor can be read (/trust/anchors)', 'Put the federation root certificate (PEM) where trust.anchors names it.')]
  const out: Finding[] = []
  let count = 0
  for (const p of keyPairs(config)) {
    const file = certFile(p)
    if (file === undefined) continue // a token's own certificate: keys compares it
    const chain = readChain(file)
    if (chain === undefined) {
      out.push(fail(`the certificate file ${file} (${p.at}/cert) holds no readable PEM certificate`, 'Give the PEM chain the federation CA returned (leaf first).'))
      continue
    }
    count++
    const r = await anchors.validate(chain, { at: now(), role: p.role })
    if (!r.ok) {
      out.push(fail(
        `the ${p.role} certificate ${file} (${p.at}/cert) does not validate to the trust anchors: ${r.reason} (${r.code})`,
        'Give the chain the federation CA issued (leaf first, with its issuing CA), or name the federation root in trust.anchors.',
      ))
    }
  }
  if (out.length === 0) out.push(ok(`${count} certificate chains validate to the trust anchors`))
  return out
}
