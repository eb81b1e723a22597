import { Writable } from 'node:stream';
import { BounceReports } from '../../src/bounces/bounce-reports';
import { createLogger } from '../../src/shared/logger';

test('when a verified bounce message names no report, then one log line says why, without the message', () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const reports = new BounceReports({ logger: createLogger('info', sink) } as unknown as ConstructorParameters<typeof BounceReports>[0]);
  reports.ignored('raw', `no failed recipient (Action: delayed)${'x'.repeat(500)}`);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ msg: 'bounce message ignored', provider: 'raw' });
  expect(String(lines[0]!.reason)).toHaveLength(200);
  expect(String(lines[0]!.reason)).toMatch(/^no failed recipient \(Action: delayed\)/);
});
