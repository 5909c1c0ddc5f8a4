// Check "directory" (issue 17 item 7; PROTOCOL.md §1.4, §16.1): the signed directory can be fetched and
// verified, is fresh, and lists each agency this configuration hosts with this node's certificates
// (tls: the agency's own or its hosting node's; signing, encryption) and an endpoint on our port.
import { readFileSync } from 'node:fs'
import type { Config } from '../../config/index.js'
import { checkDirectoryFresh, checkSignedDirectory, type DirectoryDocument } from '../../pki/directory.js'
import { parsePemChain, toBase64Der } from '../../pki/cert.js'
import { documentFetcher } from '../sources/fetch-document.js'
import { redactUrl } from '../../config/redact.js'
import { configAnchors } from './chains.js'
import { certFile, keyPairs } from './key-pairs.js'
import { fail, ok, warn, type Finding } from './types.js'

const MAX_BYTES = 64 * 1024 * 1024

function leafB64(file: string | undefined): string | undefined {
  if (file === undefined) return undefined
  try {
    const leaf = parsePemChain(readFileSync(file, 'utf8'))[0]
    return leaf ? toBase64Der(leaf) : undefined
  } catch {
    return undefined
  }
}

const portOf = (endpoint: string): number | undefined => {
  try {
    const u = new URL(endpoint)
    return Number(u.port || 443)
  } catch {
    return undefined
  }
}

async function fetchDirectory(config: Config): Promise<{ doc: DirectoryDocument } | { finding: Finding }> {
  const where = redactUrl(config.trust.directory)
  const anchors = configAnchors(config)
  if (anchors === undefined) return { finding: fail('the directory cannot be verified: no trust anchor can be read', 'Put the federation root certificate where trust.anchors names it.') }
  const fetcher = documentFetcher(config.trust.directory, { timeoutMs: config.trust.fetchTimeoutSeconds * 1000, maxBytes: MAX_BYTES, extraCa: anchors.anchors.map((c) => c.toString()) })
  try {
    const got = await fetcher.fetch()
    if (got.kind !== 'document') return { finding: fail(`the directory ${where} answered without a document`, 'Check trust.directory.') }
    const { doc } = await checkSignedDirectory(got.bytes.toString('utf8'), anchors, 'issuedAt')
    return { doc }
  } catch (err) {
    return { finding: fail(`the directory ${where} (/trust/directory) cannot be used: ${(err as Error).message}`, 'Check trust.directory and that the federation operator publishes a directory signed under trust.anchors.') }
  } finally {
    await fetcher.close()
  }
}

export async function checkDirectory({ config, now }: { config: Config; now: () => Date }): Promise<Finding[]> {
  const got = await fetchDirectory(config)
  if ('finding' in got) return [got.finding]
  const { doc } = got
  const out: Finding[] = []
  try {
    checkDirectoryFresh(doc, now())
  } catch (err) {
    out.push(warn(`the directory (serial ${doc.serial}) is not fresh: ${(err as Error).message}`, 'Ask the federation operator for a fresh directory, or check this machine\'s clock.'))
  }
  const pairs = keyPairs(config)
  const tls = leafB64(config.tls.cert)
  config.agencies.forEach((a, i) => {
    const entry = doc.agencies.find((e) => e.id === a.id)
    if (entry === undefined) {
      out.push(fail(`the directory (serial ${doc.serial}) does not list the agency ${a.id} (/agencies/${i})`, 'Send directory-entry.json (made by `init`) with the certificate chains to the federation operator, and use the directory that lists it.'))
      return
    }
    if (entry.status !== 'active') out.push(warn(`the directory lists ${a.id} as ${entry.status}`, 'Ask the federation operator why the agency is suspended; peers do not deliver to it.'))
    const node = entry.node !== undefined ? doc.nodes?.find((n) => n.id === entry.node) : undefined
    const tlsListed = node ? node.certificates.tls : entry.certificates.tls
    if (tls !== undefined && !tlsListed.includes(tls)) {
      out.push(fail(`the directory does not list this node's TLS certificate (/tls/cert) for ${a.id}${node ? ` (hosting node ${node.id})` : ''}`, 'Send the TLS chain to the federation operator for the directory, or configure the TLS certificate the directory lists.'))
    }
    for (const p of pairs.filter((x) => x.agency === a.id && x.role !== 'tls')) {
      const mine = leafB64(certFile(p))
      if (mine === undefined) continue // a token certificate without a file: keys checks it
      const listed = entry.certificates[p.role as 'signing' | 'encryption']
      if (!listed.includes(mine)) {
        out.push(fail(`the directory does not list the ${p.role} certificate of ${a.id} (${p.at}/cert)`, 'Send that certificate to the federation operator for the directory entry, or configure the certificate the directory lists.'))
      }
    }
    const endpoints = node ? node.endpoints : entry.endpoints
    if (endpoints.length === 0) {
      out.push(fail(`the directory lists no endpoint for ${a.id}`, 'Ask the federation operator to list this node\'s federation URL (https://host:port).'))
    } else if (config.federation.port !== 0 && !endpoints.some((e) => portOf(e) === config.federation.port)) {
      out.push(warn(
        `the directory lists ${endpoints.join(', ')} for ${a.id}, none on this node's federation.port ${config.federation.port}`,
        `Unless a proxy forwards that port to ${config.federation.port}, ask the federation operator to list this node's URL or set federation.port to the listed one.`,
      ))
    }
  })
  if (out.length === 0) out.push(ok(`the directory (serial ${doc.serial}) lists ${config.agencies.map((a) => a.id).join(', ')} with this node's certificates and endpoint`))
  return out
}
