// The small rules behind GET /api/v1/statistics and GET /metrics (issue 17 items 1 and 6): Buddhist-era
// months cut in Asia/Bangkok, nearest-rank percentiles, and metrics.openTo in the configuration.
import t from 'tap'
import { period, monthOf } from '../../src/services/statistics/period.js'
import { percentile } from '../../src/services/statistics/percentile.js'
import { loadConfigObject, configProblems } from '../helpers/config-file.js'

const config = (metrics?: Record<string, unknown>) => ({
  tls: { key: 'tls.key', cert: 'tls.pem' }, trust: { anchors: ['root.pem'], directory: 'directory.jws' },
  agencies: [{ id: 'moi', signing: { key: 's.key', cert: 's.pem' }, encryption: { key: 'e.key', cert: 'e.pem' } }],
  ...(metrics ? { metrics } : {}),
})

t.test('months are Buddhist-era and cut at midnight in Bangkok', async (t) => {
  t.equal(monthOf(Date.parse('2026-01-31T16:59:59.999Z')), '2569-01', '23:59:59.999 on 31 January in Bangkok')
  t.equal(monthOf(Date.parse('2026-01-31T17:00:00Z')), '2569-02', '00:00 on 1 February in Bangkok')
  const p = period({ from: '2568-12', to: '2569-02' }, 0)
  t.same(p.months, ['2568-12', '2569-01', '2569-02'], 'across a year end')
  t.equal(p.fromMs, Date.parse('2025-11-30T17:00:00Z'))
  t.equal(p.toMs, Date.parse('2026-02-28T17:00:00Z'), 'to is included: the period ends when March begins')
  t.same(period({}, Date.parse('2026-12-06T12:00:00Z')).months, ['2569-12'], 'default: the current month')
  t.same(period({ from: '2569-03' }, 0).months, ['2569-03'], 'one month when to is left out')
})

t.test('refusals name their field', async (t) => {
  const refused = (q: { from?: string; to?: string }) => {
    try {
      period(q, 0)
      return undefined
    } catch (e) {
      return { code: (e as { code: string }).code, field: (e as { field: string }).field }
    }
  }
  t.same(refused({ from: '2026-05' }), { code: 'ERR_STATISTICS_PERIOD_INVALID', field: '/query/from' }, 'a Common Era year')
  t.same(refused({ from: '2569-00' }), { code: 'ERR_STATISTICS_PERIOD_INVALID', field: '/query/from' })
  t.same(refused({ from: '2569-05', to: '2569-13' }), { code: 'ERR_STATISTICS_PERIOD_INVALID', field: '/query/to' })
  t.same(refused({ from: '2569-05', to: '2569-04' }), { code: 'ERR_STATISTICS_PERIOD_INVALID', field: '/query/to' })
  t.same(refused({ from: '2559-01', to: '2568-12' }), undefined, '120 months is allowed')
  t.same(refused({ from: '2559-01', to: '2569-01' }), { code: 'ERR_STATISTICS_PERIOD_INVALID', field: '/query/to' }, '121 months is not')
})

t.test('percentiles by nearest rank: always an observed value', async (t) => {
  t.equal(percentile([], 50), undefined)
  t.equal(percentile([7], 95), 7)
  t.equal(percentile([4, 1, 3, 2], 50), 2)
  t.equal(percentile([4, 1, 3, 2], 95), 4)
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i)
  t.equal(percentile(hundred, 50), 50)
  t.equal(percentile(hundred, 95), 95)
})

t.test('metrics.openTo: closed by default, CIDRs checked at load', async (t) => {
  t.same(loadConfigObject(config()).metrics, { openTo: [] })
  t.same(loadConfigObject(config({ openTo: ['10.0.0.5/32'] })).metrics, { openTo: ['10.0.0.5/32'] })
  t.same(configProblems(config({ openTo: ['10.0.0.5', '::1/128', '10.0.0.0/33'] })).map((p) => p.field), ['/metrics/openTo/0', '/metrics/openTo/2'])
})
