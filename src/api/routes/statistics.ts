// GET /api/v1/statistics?from=2569-01&to=2569-12[&agency=moi][&format=csv] (issue 17 item 6; README
// "Statistics"): per month and per peer agency, counts and durations of one agency's letters, as JSON
// or CSV. An API key sees only the agencies it acts for.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SarabanError } from '../../errors.js'
import { schemaIds, schemas } from '../../schema/index.js'
import { statistics, type StatisticsDeps } from '../../services/statistics/index.js'
import { statisticsCsv, CSV_MEDIA_TYPE } from '../../render/statistics-csv.js'

interface Query { from?: string; to?: string; agency?: string; format?: 'json' | 'csv' }

/** The agency meant: the one named (if this key acts for it), else the key's only one. */
function agencyOf(request: FastifyRequest, agency: string | undefined): string {
  const mine = request.caller.agencies
  if (agency !== undefined) {
    if (!mine.includes(agency)) throw new SarabanError('ERR_FORBIDDEN', `This API key does not act for "${agency}".`, { field: '/query/agency' })
    return agency
  }
  if (mine.length === 1) return mine[0]!
  throw new SarabanError('ERR_REQUEST_INVALID', `This API key acts for ${mine.length} agencies: name the agency whose statistics these are.`, { field: '/query/agency' })
}

export async function statisticsRoutes(app: FastifyInstance, deps: StatisticsDeps): Promise<void> {
  app.get<{ Querystring: Query }>('/api/v1/statistics', {
    schema: {
      summary: 'Letters per month and peer agency: counts, times to delivery and registration, rejections, failures',
      tags: ['statistics'],
      querystring: schemas().schema(schemaIds.apiStatisticsQuery),
      response: { 200: { $ref: `${schemaIds.apiStatistics}#` } },
    },
  }, async (request, reply) => {
    const agency = agencyOf(request, request.query.agency)
    const report = statistics(deps, { agency, from: request.query.from, to: request.query.to })
    if (request.query.format !== 'csv') return report
    reply.header('content-disposition', `attachment; filename="statistics-${agency}-${report.from}-${report.to}.csv"`)
    return reply.type(CSV_MEDIA_TYPE).send(statisticsCsv(report))
  })
}
