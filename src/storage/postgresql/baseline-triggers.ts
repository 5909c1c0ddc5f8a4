// PostgreSQL baseline, part 3: the triggers of SQLite's migrations 018–036, as a table (baseline.ts says
// how it translates SQLite). Each row becomes a plpgsql function <name>_fn and a trigger <name> with the
// same timing, event and WHEN as SQLite's; test/unit/storage-postgresql-schema.test.ts runs them on both
// engines side by side.

/** A log trigger (PROTOCOL.md §20.3): one log_pending row per accountable change. */
interface LogTrigger {
  readonly name: string
  readonly table: string
  /** 'INSERT', or 'UPDATE OF <column>'. */
  readonly event: string
  readonly when?: string
  /** The source: a quoted literal, or an expression of NEW. */
  readonly source: string
  /** The key columns of NEW that make the ref, a JSON array in SQLite's compact text. */
  readonly ref: readonly string[]
  /** One more row of the same ref, when this condition of NEW holds. */
  readonly alsoIf?: { readonly when: string; readonly source: string }
}

/** json_array(NEW.a, NEW.b, …) as SQLite writes it: no spaces (json_build_array would add them). */
const jsonArray = (cols: readonly string[]) => `'[' || ${cols.map((c) => `to_json(NEW.${c})::text`).join(` || ',' || `)} || ']'`

const REGISTER = ['agency', 'book', 'year', 'number']

// Migrations 018, 022, 024. A letter is stored before its receipt is signed (§20.5), so its receipt's
// row comes at insert when the row has one, else when the empty receipt column is filled.
const LOG_TRIGGERS: readonly LogTrigger[] = [
  { name: 'log_outbox_sent', table: 'outbox_messages', event: 'INSERT', source: `'outbox-message'`, ref: ['message_id'] },
  { name: 'log_outbox_delivered', table: 'outbox_messages', event: 'UPDATE OF status', when: `NEW.status = 'delivered' AND OLD.status IS DISTINCT FROM 'delivered'`, source: `'outbox-delivered'`, ref: ['message_id'] },
  { name: 'log_inbox_received', table: 'inbox_messages', event: 'INSERT', source: `'inbox-message'`, ref: ['message_id'] },
  { name: 'log_inbox_receipt_inserted', table: 'inbox_messages', event: 'INSERT', when: `NEW.receipt <> ''`, source: `'inbox-receipt'`, ref: ['message_id'] },
  { name: 'log_inbox_receipt_signed', table: 'inbox_messages', event: 'UPDATE OF receipt', when: `OLD.receipt = '' AND NEW.receipt <> ''`, source: `'inbox-receipt'`, ref: ['message_id'] },
  { name: 'log_register_taken', table: 'register_entries', event: 'INSERT', source: `'register-entry'`, ref: REGISTER, alsoIf: { when: 'NEW.letter_id IS NOT NULL', source: `'register-link'` } },
  { name: 'log_register_linked', table: 'register_entries', event: 'UPDATE OF letter_id', when: 'OLD.letter_id IS NULL AND NEW.letter_id IS NOT NULL', source: `'register-link'`, ref: REGISTER },
  { name: 'log_register_cancelled', table: 'register_entries', event: 'UPDATE OF status', when: `NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM 'cancelled'`, source: `'register-cancel'`, ref: REGISTER },
  { name: 'log_classified_item', table: 'classified_items', event: 'INSERT', source: `'classified-item'`, ref: ['id'] },
  { name: 'log_classified_destroyed', table: 'classified_items', event: 'UPDATE OF destroyed_at', when: 'OLD.destroyed_at IS NULL AND NEW.destroyed_at IS NOT NULL', source: `'classified-destroyed'`, ref: ['id'] },
  { name: 'log_classified_in', table: 'classified_messages', event: 'INSERT', when: 'NEW.received_at IS NOT NULL', source: `'classified-in'`, ref: ['message_id'] },
  { name: 'log_classified_receipt_inserted', table: 'classified_messages', event: 'INSERT', when: `NEW.received_at IS NOT NULL AND NEW.receipt <> ''`, source: `'classified-receipt'`, ref: ['message_id'] },
  { name: 'log_classified_receipt_signed', table: 'classified_messages', event: 'UPDATE OF receipt', when: `NEW.received_at IS NOT NULL AND OLD.receipt = '' AND NEW.receipt <> ''`, source: `'classified-receipt'`, ref: ['message_id'] },
  { name: 'log_classified_statement_in', table: 'classified_statements', event: 'INSERT', when: `NEW.direction = 'in' AND NEW.notice_envelope_sha256 IS NOT NULL`, source: `'classified-statement-in'`, ref: ['id'] },
  { name: 'log_classified_statement_local', table: 'classified_statements', event: 'INSERT', when: `NEW.direction = 'local'`, source: `'classified-statement'`, ref: ['id'] },
  { name: 'log_classified_statement_receipt_inserted', table: 'classified_statements', event: 'INSERT', when: `NEW.direction = 'in' AND NEW.notice_envelope_sha256 IS NOT NULL AND NEW.notice_receipt <> ''`, source: `'classified-statement-receipt'`, ref: ['id'] },
  { name: 'log_classified_statement_receipt_signed', table: 'classified_statements', event: 'UPDATE OF notice_receipt', when: `NEW.direction = 'in' AND NEW.notice_envelope_sha256 IS NOT NULL AND OLD.notice_receipt = '' AND NEW.notice_receipt <> ''`, source: `'classified-statement-receipt'`, ref: ['id'] },
  { name: 'log_classified_access', table: 'classified_access', event: 'INSERT', source: `'classified-access'`, ref: ['seq'] },
  { name: 'log_key_in_use', table: 'log_keys', event: 'INSERT', source: `'key'`, ref: ['agency', 'role', 'cert_sha256'] },
  { name: 'log_directory', table: 'directory_history', event: 'INSERT', source: `'directory'`, ref: ['serial'] },
  { name: 'log_crl', table: 'crl_history', event: 'INSERT', source: `'crl'`, ref: ['issuer_fp', 'crl_number'] },
  { name: 'log_notice', table: 'notices', event: 'INSERT', source: `'notice-' || NEW.direction`, ref: ['message_id'] },
  { name: 'log_notice_receipt_inserted', table: 'notices', event: 'INSERT', when: `NEW.direction = 'in' AND NEW.receipt <> ''`, source: `'notice-receipt'`, ref: ['message_id'] },
  { name: 'log_notice_receipt_signed', table: 'notices', event: 'UPDATE OF receipt', when: `NEW.direction = 'in' AND OLD.receipt = '' AND NEW.receipt <> ''`, source: `'notice-receipt'`, ref: ['message_id'] },
]

/** Migration 036: an owner's envelope chunks go with it (deleted, cascaded, or emptied as classified
 *  destruction does to outbox_envelopes.bytes). owner = prefix || the owner's key. */
const CHUNK_TRIGGERS: readonly { name: string; table: string; event: string; prefix: string; key: string }[] = [
  { name: 'outbox_envelopes_chunks_gone', table: 'outbox_envelopes', event: 'DELETE', prefix: 'oe:', key: 'message_id' },
  { name: 'outbox_envelopes_chunks_emptied', table: 'outbox_envelopes', event: 'UPDATE OF bytes', prefix: 'oe:', key: 'message_id' },
  { name: 'outbox_contents_chunks_gone', table: 'outbox_contents', event: 'DELETE', prefix: 'oc:', key: 'id' },
  { name: 'inbox_envelopes_chunks_gone', table: 'inbox_envelopes', event: 'DELETE', prefix: 'ie:', key: 'message_id' },
  { name: 'inbox_contents_chunks_gone', table: 'inbox_contents', event: 'DELETE', prefix: 'ic:', key: 'sha256' },
]

function trigger(name: string, table: string, event: string, when: string | undefined, body: string): string {
  return `CREATE FUNCTION ${name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
${body}
  RETURN NULL;
END $$;
CREATE TRIGGER ${name} AFTER ${event} ON ${table}
  FOR EACH ROW ${when === undefined ? '' : `WHEN (${when})\n  `}EXECUTE FUNCTION ${name}_fn();
`
}

function logTrigger(t: LogTrigger): string {
  const ref = jsonArray(t.ref)
  const insert = (source: string) => `INSERT INTO log_pending (source, ref) VALUES (${source}, ${ref});`
  const body = t.alsoIf === undefined
    ? `  ${insert(t.source)}`
    : `  ${insert(t.source)}\n  IF ${t.alsoIf.when} THEN\n    ${insert(t.alsoIf.source)}\n  END IF;`
  return trigger(t.name, t.table, t.event, t.when, body)
}

export const sql = [
  ...LOG_TRIGGERS.map(logTrigger),
  ...CHUNK_TRIGGERS.map((c) => trigger(c.name, c.table, c.event, undefined, `  DELETE FROM blob_chunks WHERE owner = '${c.prefix}' || OLD.${c.key};`)),
].join('\n')
