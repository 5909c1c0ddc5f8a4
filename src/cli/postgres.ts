// What `migrate` and `storage copy` share on PostgreSQL (issue 19): one connection for the command, and
// its failures as the CLI's one sentence: a refusal the command knows (exit 1), the database out of reach
// or lost (exit 3), anything else the database said (exit 1), each ending with what was left as it was.
import { withClient, pgFailure, pgUnreachable, type PgClient, type PgTarget } from '../storage/postgresql/connect.js'
import { SarabanError } from '../errors.js'
import { CliError } from './args.js'
import { EXIT } from './exit-codes.js'

export async function onPostgres<T>(
  target: PgTarget,
  command: string,
  opts: { refusal: (err: unknown) => string | undefined; untouched: string },
  fn: (client: PgClient) => Promise<T>,
): Promise<T> {
  try {
    return await withClient(target, `saraban-node ${command}`, fn)
  } catch (err) {
    if (err instanceof SarabanError) throw err
    const refused = opts.refusal(err)
    if (refused !== undefined) throw new CliError(refused, EXIT.FAILED)
    throw new CliError(`${pgFailure(target.url, err)}; ${opts.untouched}.`, pgUnreachable(err) ? EXIT.UNAVAILABLE : EXIT.FAILED)
  }
}
