// Identifier formats (PROTOCOL.md §1.1, §2), for the code that checks them outside JSON Schema
// validation (envelope headers, receipts, the directory). schemas/protocol/common.json holds the
// same patterns for validated documents; test/unit/ids.test.ts compares them.
export const AGENCY_ID = /^(?=.{2,64}$)[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/
export const MESSAGE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
