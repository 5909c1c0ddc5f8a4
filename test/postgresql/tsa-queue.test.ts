// unit/tsa-queue.test.ts on PostgreSQL (issue 19 §5: the storage and integration suites on both engines):
// test/helpers/engine.ts opens every Db of the file on a private cluster. Skipped without PostgreSQL.
import t from 'tap'
import { postgresMissing } from '../helpers/postgres.js'

const missing = postgresMissing()
if (missing !== undefined) t.plan(0, missing)
else {
  process.env['SARABAN_TEST_ENGINE'] = 'postgresql'
  await import('../helpers/engine.js')
  await import('../unit/tsa-queue.test.js')
}
