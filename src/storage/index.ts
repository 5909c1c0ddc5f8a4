// The storage module's public surface: the only place in the node that holds SQL.
export { Db, type OpenOptions, type WriteStats } from './db.js'
export { SCHEMA_VERSION } from './migrations/index.js'
export {
  OutboxStore,
  type RecipientStatus,
  type NewLetter,
  type NewOutboxMessage,
  type OutboxMessage,
  type OutboxMessageMeta,
  type OutboxLetter,
  type ListOptions,
} from './outbox.js'
export {
  InboxStore,
  type InboxAttachmentMeta,
  type InboxAttachment,
  type NewInboxMessage,
  type InboxMessage,
  type InsertResult,
  type InboxListOptions,
} from './inbox.js'
export { TrustHistoryStore, type NewCrl } from './trust-history.js'
export { TimestampStore, type StampSide, type StampKind, type StampKey, type NewStamp, type PendingStamp, type StoredToken } from './timestamps.js'
export { RegisterStore, type RegisterEntry, type RegisterEntryStatus, type RegisterSeries, type NewRegisterEntry } from './registers.js'
