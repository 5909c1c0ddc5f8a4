// The officer CLI's client of a node's REST API for classified letters (classified-design.md §5,
// PROTOCOL.md §19): the CLI talks to nothing else. Answers that are not 2xx become NodeRefused with
// the node's problem+json code; a node that cannot be reached becomes NodeUnreachable.
import type { AgencyOfficers, DirectoryOfficer } from '../../classified/officers.js'
import type { ClassifiedPolicy } from '../../classified/levels.js'

export class NodeRefused extends Error {
  constructor(readonly status: number, readonly code: string, detail: string) {
    super(detail)
  }
}

export class NodeUnreachable extends Error {}

/** The visible metadata of a classified item (the outer cover's fields, §19). */
export interface ClassifiedItem {
  id: string
  controlNumber: string
  from: string
  to: string | string[]
  innerSha256: string
  messageId?: string
  /** base64 DER release statements, when the node shows them */
  releases?: string[]
  [k: string]: unknown
}

export interface SubmitBody {
  from: string
  to: string[]
  controlNumber: string
  addressees: { agency: string; officer?: string; position?: string }[]
  urgency?: string
  deliverBy?: string
  inner: string
  releases: string[]
}

export class ClassifiedApi {
  constructor(private readonly base: string, private readonly apiKey: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response
    try {
      res = await fetch(new URL(path, this.base), {
        method,
        headers: { authorization: `Bearer ${this.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    } catch (e) {
      throw new NodeUnreachable(`the node at ${this.base} cannot be reached (${(e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message}); check --api and that the node runs.`)
    }
    if (!res.ok) {
      let p: { code?: string; detail?: string; title?: string } = {}
      try {
        p = (await res.json()) as typeof p
      } catch { /* not problem+json */ }
      throw new NodeRefused(res.status, p.code ?? `HTTP ${res.status}`, p.detail ?? p.title ?? res.statusText)
    }
    return res
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.call(method, path, body)).json()) as T
  }

  reserveControlNumber(agency: string): Promise<{ controlNumber: string }> {
    return this.json('POST', '/api/v1/classified/control-numbers', { agency })
  }

  submit(body: SubmitBody): Promise<{ id: string; controlNumber: string; innerSha256: string; messages: { to: string; messageId: string }[] }> {
    return this.json('POST', '/api/v1/classified', body)
  }

  item(id: string): Promise<ClassifiedItem> {
    return this.json('GET', `/api/v1/classified/${encodeURIComponent(id)}`)
  }

  async inner(id: string): Promise<Buffer> {
    return Buffer.from(await (await this.call('GET', `/api/v1/classified/${encodeURIComponent(id)}/inner`)).arrayBuffer())
  }

  acknowledge(id: string, statement: Buffer): Promise<unknown> {
    return this.json('POST', `/api/v1/classified/${encodeURIComponent(id)}/acknowledgements`, { statement: statement.toString('base64') })
  }

  forward(id: string, inner: Buffer, statement: Buffer, toOfficer: string): Promise<{ id: string }> {
    return this.json('POST', `/api/v1/classified/${encodeURIComponent(id)}/forward`, { inner: inner.toString('base64'), statement: statement.toString('base64'), toOfficer })
  }

  destroy(id: string, statement: Buffer, second?: Buffer): Promise<unknown> {
    return this.json('POST', `/api/v1/classified/${encodeURIComponent(id)}/destroy`, { statement: statement.toString('base64'), ...(second ? { secondStatement: second.toString('base64') } : {}) })
  }

  access(id: string): Promise<unknown> {
    return this.json('GET', `/api/v1/classified/${encodeURIComponent(id)}/access`)
  }

  /** The officers of the agencies and the directory's classifiedPolicy, from GET /api/v1/directory. */
  async officers(agencies: readonly string[]): Promise<{ agencies: AgencyOfficers[]; policy: ClassifiedPolicy | undefined }> {
    const d = await this.json<{ agencies: { id: string; officers?: DirectoryOfficer[] }[]; classifiedPolicy?: ClassifiedPolicy }>('GET', '/api/v1/directory')
    return {
      agencies: agencies.map((id) => ({ agency: id, officers: d.agencies.find((a) => a.id === id)?.officers ?? [] })),
      policy: d.classifiedPolicy,
    }
  }
}
