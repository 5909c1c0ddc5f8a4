// A consistent copy of a node's database file through SQLite's online backup API (issue 17 item 3,
// src/services/backup/). It runs in a worker thread with a connection of its own, so the node's
// event loop keeps moving while pages are copied (better-sqlite3 is synchronous), and it copies all
// pages in one step: a step runs inside one read transaction (WAL: writers go on meanwhile), so the
// copy is the database as it was when that step began, and no write can make it start over.
// `saraban-node backup` uses the same function from its own process.
import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'

// Plain CommonJS with `eval: true`, like checkpointer.ts: the same under tsx (tests) and from dist/.
const WORKER_SOURCE = `
'use strict'
const { parentPort, workerData: w } = require('node:worker_threads')
const Database = require(w.modulePath)
const db = new Database(w.file, { fileMustExist: true })
db.pragma('busy_timeout = 10000')
// backup() starts with a step of 0 pages (it only opens the copy); the next step takes every page.
db.backup(w.dest, { progress: () => 0x7fffffff }).then(
  () => { db.close(); parentPort.postMessage({ ok: true }) },
  (err) => { db.close(); parentPort.postMessage({ ok: false, message: err.message, code: err.code }) },
)
`

export function snapshotDatabase(file: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { modulePath: createRequire(import.meta.url).resolve('better-sqlite3'), file, dest },
    })
    let settled = false
    worker.once('message', (m: { ok: boolean; message?: string; code?: string }) => {
      settled = true
      if (m.ok) resolve()
      else reject(Object.assign(new Error(`the database copy failed: ${m.message ?? ''}`), { code: m.code }))
    })
    worker.once('error', (err) => ((settled = true), reject(err)))
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the database copy stopped (worker exit ${code})`))
    })
  })
}
