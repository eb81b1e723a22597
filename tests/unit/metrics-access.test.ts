import type { Request } from 'express';
import { metricsAccess } from '../../src/http/routes/metrics';
import { PrometheusMetrics } from '../../src/metrics/prometheus-metrics';
import { parsePrometheusText } from '../helpers/prometheus-text';

/** A request as the access rule sees it: the socket's peer and the headers. */
function requestFrom(remoteAddress: string, headers: Record<string, string> = {}): Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { headers: lower, get: (name: string) => lower[name.toLowerCase()], socket: { remoteAddress } } as unknown as Request;
}

const TOKEN = 'metrics-token-0123456789abcdef';

describe('who may read /metrics', () => {
  const open = metricsAccess(undefined);
  const withToken = metricsAccess(TOKEN);

  test('when the peer is this machine and nothing is forwarded, then it may (IPv4, IPv6, IPv4-mapped)', () => {
    for (const peer of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) expect(open(requestFrom(peer))).toBe('allowed');
  });

  test('when the peer is another machine, then the route is hidden (404), with or without a token set', () => {
    for (const peer of ['203.0.113.7', '10.0.0.5', '::ffff:192.168.1.9', '2001:db8::1']) {
      expect(open(requestFrom(peer))).toBe('hidden');
      expect(withToken(requestFrom(peer))).toBe('hidden');
    }
  });

  test('when a proxy on this machine forwards a request, then it is not local, whatever the forwarded address claims', () => {
    // With TRUST_PROXY=true, req.ip would be this spoofed value; the rule never reads req.ip.
    expect(open(requestFrom('127.0.0.1', { 'X-Forwarded-For': '127.0.0.1' }))).toBe('hidden');
    expect(open(requestFrom('127.0.0.1', { Forwarded: 'for=127.0.0.1' }))).toBe('hidden');
    expect(open(requestFrom('127.0.0.1', { 'X-Real-IP': '127.0.0.1' }))).toBe('hidden');
  });

  test('when METRICS_TOKEN is set, then its bearer opens it from anywhere, and a wrong one is refused (401), even locally', () => {
    expect(withToken(requestFrom('203.0.113.7', { Authorization: `Bearer ${TOKEN}` }))).toBe('allowed');
    expect(withToken(requestFrom('203.0.113.7', { Authorization: 'Bearer nope' }))).toBe('wrong-token');
    expect(withToken(requestFrom('127.0.0.1', { Authorization: 'Bearer nope' }))).toBe('wrong-token');
    expect(withToken(requestFrom('127.0.0.1'))).toBe('allowed');
  });

  test('when no METRICS_TOKEN is set, then a bearer token opens nothing', () => {
    expect(open(requestFrom('203.0.113.7', { Authorization: `Bearer ${TOKEN}` }))).toBe('hidden');
  });
});

describe('the metrics registry', () => {
  test('when two services run in one process, then each counts its own (no shared global registry)', async () => {
    const a = new PrometheusMetrics();
    const b = new PrometheusMetrics();
    a.signup('daily');
    a.signup('daily');
    b.delivery('sports', 'sent', 5);
    const textA = parsePrometheusText((await a.exposition()).body);
    const textB = parsePrometheusText((await b.exposition()).body);
    expect(textA.value('bulletin_signups_total', { newsletter: 'daily' })).toBe(2);
    expect(textB.value('bulletin_signups_total', { newsletter: 'daily' })).toBe(0);
    expect(textB.value('bulletin_deliveries_total', { newsletter: 'sports', outcome: 'sent' })).toBe(5);
  });

  test('when a gauge cannot be read (the database is down), then the scrape still answers with the counters', async () => {
    const metrics = new PrometheusMetrics();
    const warnings: unknown[] = [];
    metrics.readGaugesFrom(
      { queues: () => Promise.reject(new Error('Connection terminated')), ledgerPending: async () => [{ newsletter: 'daily', status: 'pending', deliveries: 7 }] },
      { warn: (o: unknown) => warnings.push(o) },
    );
    metrics.confirmation();
    const text = parsePrometheusText((await metrics.exposition()).body);
    expect(text.find('bulletin_queue_jobs')).toEqual([]);
    expect(text.value('bulletin_ledger_pending_deliveries', { newsletter: 'daily', status: 'pending' })).toBe(7);
    expect(text.value('bulletin_confirmations_total')).toBe(1);
    expect(warnings).toHaveLength(1);
  });

  test('when a label holds quotes, backslashes or a line break, then the text format escapes them and still parses', async () => {
    const metrics = new PrometheusMetrics();
    metrics.complaint('odd"\\\nslug');
    const text = parsePrometheusText((await metrics.exposition()).body);
    expect(text.value('bulletin_complaints_total', { newsletter: 'odd"\\\nslug' })).toBe(1);
  });
});
