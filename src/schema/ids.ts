// The only place $id strings appear in TypeScript (house style: "no $id string literals elsewhere").
// Each id names one file under schemas/: urn:saraban:<area>:<name>:v1 ↔ schemas/<area>/<name>.json,
// except the config schema, which lives at schemas/config.json.

export const schemaIds = {
  // protocol/ — what travels between nodes (PROTOCOL.md)
  common: 'urn:saraban:protocol:common:v1',
  letter: 'urn:saraban:protocol:letter:v1',
  directory: 'urn:saraban:protocol:directory:v1',
  notice: 'urn:saraban:protocol:notice:v1',
  classifiedLetter: 'urn:saraban:protocol:classified-letter:v1',
  classifiedCover: 'urn:saraban:protocol:classified-cover:v1',
  classifiedNotice: 'urn:saraban:protocol:classified-notice:v1',
  officerStatement: 'urn:saraban:protocol:officer-statement:v1',
  // api/ — the local REST API
  apiLetterDraft: 'urn:saraban:api:letter-draft:v1',
  apiLetterCreate: 'urn:saraban:api:letter-create:v1',
  apiLetterCreateHeaders: 'urn:saraban:api:letter-create-headers:v1',
  apiLetterCreateMultipart: 'urn:saraban:api:letter-create-multipart:v1',
  apiLetterStatus: 'urn:saraban:api:letter-status:v1',
  apiOutboxList: 'urn:saraban:api:outbox-list:v1',
  apiInboxList: 'urn:saraban:api:inbox-list:v1',
  apiInboxMessage: 'urn:saraban:api:inbox-message:v1',
  apiListQuery: 'urn:saraban:api:list-query:v1',
  apiLetterQuery: 'urn:saraban:api:letter-query:v1',
  apiIdParams: 'urn:saraban:api:id-params:v1',
  apiAttachmentParams: 'urn:saraban:api:attachment-params:v1',
  apiProblem: 'urn:saraban:api:problem:v1',
  apiNodeInfo: 'urn:saraban:api:node-info:v1',
  apiDirectory: 'urn:saraban:api:directory:v1',
  apiDirectoryEntry: 'urn:saraban:api:directory-entry:v1',
  apiHealth: 'urn:saraban:api:health:v1',
  apiNoticeViews: 'urn:saraban:api:notice-views:v1',
  apiInboxRegister: 'urn:saraban:api:inbox-register:v1',
  apiInboxReject: 'urn:saraban:api:inbox-reject:v1',
  apiLetterWithdraw: 'urn:saraban:api:letter-withdraw:v1',
  apiLetterDispute: 'urn:saraban:api:letter-dispute:v1',
  apiLetterRetry: 'urn:saraban:api:letter-retry:v1',
  apiPeers: 'urn:saraban:api:peers:v1',
  apiRegisterParams: 'urn:saraban:api:register-params:v1',
  apiRegisterEntryParams: 'urn:saraban:api:register-entry-params:v1',
  apiRegisterQuery: 'urn:saraban:api:register-query:v1',
  apiRegisterEntry: 'urn:saraban:api:register-entry:v1',
  apiRegisterList: 'urn:saraban:api:register-list:v1',
  apiRegisterNumberCreate: 'urn:saraban:api:register-number-create:v1',
  apiRegisterNumber: 'urn:saraban:api:register-number:v1',
  apiRegisterCancel: 'urn:saraban:api:register-cancel:v1',
  apiRegisterBooks: 'urn:saraban:api:register-books:v1',
  apiEvent: 'urn:saraban:api:event:v1',
  apiEventList: 'urn:saraban:api:event-list:v1',
  apiEventsQuery: 'urn:saraban:api:events-query:v1',
  apiWebhookDeliveries: 'urn:saraban:api:webhook-deliveries:v1',
  apiWebhookDeliveriesQuery: 'urn:saraban:api:webhook-deliveries-query:v1',
  apiClassifiedSubmit: 'urn:saraban:api:classified-submit:v1',
  apiClassifiedByHand: 'urn:saraban:api:classified-by-hand:v1',
  apiClassifiedControlNumber: 'urn:saraban:api:classified-control-number:v1',
  apiClassifiedStatement: 'urn:saraban:api:classified-statement:v1',
  apiClassifiedForward: 'urn:saraban:api:classified-forward:v1',
  apiClassifiedListQuery: 'urn:saraban:api:classified-list-query:v1',
  apiClassifiedReportQuery: 'urn:saraban:api:classified-report-query:v1',
  apiLogParams: 'urn:saraban:api:log-params:v1',
  apiLogQuery: 'urn:saraban:api:log-query:v1',
  apiLogProof: 'urn:saraban:api:log-proof:v1',
  apiLogPeers: 'urn:saraban:api:log-peers:v1',
  apiLogAudit: 'urn:saraban:api:log-audit:v1',
  apiStatisticsQuery: 'urn:saraban:api:statistics-query:v1',
  apiStatistics: 'urn:saraban:api:statistics:v1',
  // config
  config: 'urn:saraban:config:node:v1',
  hostedAgency: 'urn:saraban:config:hosted-agency:v1',
} as const

export type SchemaName = keyof typeof schemaIds
export type SchemaId = (typeof schemaIds)[SchemaName]

const known: ReadonlySet<string> = new Set(Object.values(schemaIds))

export function isSchemaId(id: string): id is SchemaId {
  return known.has(id)
}

/** The schema id a `$ref` names when it points at a whole schema ('urn:…:v1' or 'urn:…:v1#'), else undefined. */
export function wholeSchemaRef(ref: unknown): SchemaId | undefined {
  if (typeof ref !== 'string') return undefined
  const id = ref.endsWith('#') ? ref.slice(0, -1) : ref
  return isSchemaId(id) ? id : undefined
}

/** `{ $ref }` to a schema by id, for Fastify route schemas: `body: schemaRef('apiLetterCreate')`. */
export function schemaRef(name: SchemaName): { $ref: SchemaId } {
  return { $ref: schemaIds[name] }
}

/** OpenAPI component name for a schema id (components names must match ^[a-zA-Z0-9._-]+$). */
export function componentName(id: string): string {
  const m = /^urn:saraban:([a-z]+):([a-z0-9-]+):(v[0-9]+)$/.exec(id)
  return m ? `${m[1]}.${m[2]}.${m[3]}` : id.replace(/[^a-zA-Z0-9._-]/g, '_')
}
