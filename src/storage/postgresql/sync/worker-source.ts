// The thread that holds the node's one PostgreSQL connection (issue 19 §1; bridge.ts says why it is a
// thread). Plain CommonJS run with `eval`, as the SQLite checkpointer's is (storage/checkpointer.ts): a
// worker started from a .ts file would need the tsx loader, which Node 20's workers do not inherit.
//
// Each request comes on `port` with its number `id`; the answer goes back on the same port with that
// number, and then `signal[0]` is set to it and notified, which is what the waiting main thread
// watches (Atomics.wait): an answer can never be taken for another request's. Requests:
//   { op: 'query', text, values, rowMode }   one statement, extended protocol, prepared once per text
//   { op: 'exec', text }                      several statements, simple protocol, no parameters
//   either with `pre`: statements without parameters or rows to run first (savepoints database.ts put
//   off until the connection is asked something anyway); their failure is the request's
//   { op: 'close' }
// Answers: { ok: true, rows, rowCount, fields } | { ok: false, error: { message, code, … }, lost }.
// `lost`: the connection broke; the next request connects again (a restarted server is waited for).
// Commits of other processes arrive as NOTIFY on CHANNEL and are posted to parentPort (foreign commits).
// (A template literal: a regular expression's backslashes are doubled here.)
export const WORKER_SOURCE = `
'use strict'
const { parentPort, workerData: w } = require('node:worker_threads')
const pg = require(w.pgPath)
const signal = new Int32Array(w.signal)
const port = w.port
const INT8 = 20, NUMERIC = 1700, BOOL = 16, JSON_OID = 114, JSONB = 3802
// What better-sqlite3 gives for the same values: numbers (not strings) for integers and sums, 1/0 for
// truth, JSON as its text.
const types = {
  getTypeParser(oid, format) {
    if (format === 'binary') return pg.types.getTypeParser(oid, format)
    if (oid === INT8 || oid === NUMERIC) return (v) => Number(v)
    if (oid === BOOL) return (v) => (v === 't' ? 1 : 0)
    if (oid === JSON_OID || oid === JSONB) return (v) => v
    return pg.types.getTypeParser(oid, format)
  },
}
const config = Object.assign({}, w.connection, { types, application_name: w.application })
let client
let names = new Map()
let connecting
// Whether the main thread has a transaction open on this connection, and whether the connection died
// while idle: a dead connection is replaced before the next statement, unless a transaction was open
// on it (the server rolled it back; the statement must fail, not run outside it on a new one).
let inTx = false
let dead = false
// The last reconnection ran its whole window without reaching the server: until a connection is made
// again, each statement tries once and fails at once, rather than holding the event loop another window
// (a node whose database is gone answers its health checks, 503, and stops on SIGTERM, promptly).
let unreachable = false

function connect() {
  connecting ??= (async () => {
    const deadline = Date.now() + (unreachable ? 0 : w.reconnectMs)
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      const c = new pg.Client(config)
      c.on('error', () => { if (client === c) dead = true }) // a dropped connection fails the query in flight, which reports it
      c.on('end', () => { if (client === c) dead = true })
      try {
        await c.connect()
        c.on('notification', (n) => {
          if (n.processId !== c.processID) parentPort.postMessage({ kind: 'commit' })
        })
        await c.query('LISTEN ' + w.channel)
        // SQLite's busy_timeout: a writer waits this long for another's lock, then fails (SQLITE_BUSY).
        await c.query('SET lock_timeout = ' + Number(w.lockTimeoutMs))
        client = c
        names = new Map()
        unreachable = false
        parentPort.postMessage({ kind: 'connected' })
        return c
      } catch (err) {
        c.end().catch(() => {})
        if (Date.now() + delay > deadline || !transient(err)) {
          if (transient(err) && !unreachable) {
            unreachable = true
            parentPort.postMessage({ kind: 'unreachable' })
          }
          throw err
        }
        await new Promise((r) => setTimeout(r, delay))
      }
    }
  })().finally(() => { connecting = undefined })
  return connecting
}

const TRANSIENT = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03'])
function transient(err) {
  return TRANSIENT.has(err && err.code) || /Connection terminated|the database system is (starting|shutting) up/i.test(String(err && err.message))
}
function isLost(err) {
  return TRANSIENT.has(err && err.code) || /Connection terminated|is not queryable|connection .*closed/i.test(String(err && err.message))
}

// Buffers cross the thread boundary as Uint8Arrays; pg sends only a Buffer as bytea.
function value(v) {
  return v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v
}

async function handle(req) {
  if (req.op === 'close') {
    const c = client
    client = undefined
    if (c) await c.end().catch(() => {})
    return { ok: true, rows: [], rowCount: 0, fields: [] }
  }
  if (dead) {
    const was = client
    client = undefined
    dead = false
    if (was) was.end().catch(() => {})
    if (inTx) {
      inTx = false
      throw Object.assign(new Error('the connection to PostgreSQL was lost during a transaction, which the server rolled back'), { code: 'ECONNRESET' })
    }
  }
  const c = client ?? (await connect())
  if (req.pre !== undefined) await c.query(req.pre)
  if (req.op === 'exec') {
    const begins = /^\\s*BEGIN\\b/i.test(req.text)
    const ends = /(^|;)\\s*(COMMIT|ROLLBACK)\\s*$/i.test(req.text)
    try {
      await c.query(req.text)
    } finally {
      if (ends) inTx = false
    }
    if (begins) inTx = true
    return { ok: true, rows: [], rowCount: 0, fields: [] }
  }
  let name = names.get(req.text)
  if (name === undefined) names.set(req.text, (name = 's' + names.size))
  const r = await c.query({ name, text: req.text, values: req.values.map(value), rowMode: req.rowMode })
  return { ok: true, rows: r.rows, rowCount: r.rowCount ?? 0, fields: r.fields.map((f) => f.name) }
}

port.on('message', (req) => {
  handle(req).then(
    (res) => reply(req.id, res),
    (err) => {
      const lost = isLost(err) || client === undefined
      if (lost) inTx = false
      if (lost && client) {
        client.end().catch(() => {})
        client = undefined
      }
      reply(req.id, { ok: false, lost, error: { message: String(err && err.message), code: err && err.code, detail: err && err.detail, constraint: err && err.constraint, table: err && err.table, column: err && err.column } })
    },
  )
})

function reply(id, res) {
  res.id = id
  try {
    port.postMessage(res)
  } catch (err) {
    port.postMessage({ id, ok: false, lost: false, error: { message: 'the answer could not be passed on: ' + String(err && err.message) } })
  }
  Atomics.store(signal, 0, id)
  Atomics.notify(signal, 0)
}
`
