import { createLogger } from '../../src/shared/logger';
import { Shutdown } from '../../src/shared/shutdown';

function recordingShutdown() {
  const lines: Array<{ level: number; msg: string; phase?: string }> = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { shutdown: new Shutdown(logger), lines };
}

describe('shutdown phases', () => {
  test('when steps are added in the order parts are built, then they run phase by phase, newest first within a phase, each phase logged', async () => {
    const { shutdown, lines } = recordingShutdown();
    const ran: string[] = [];
    const step = (name: string) => async () => void ran.push(name);
    shutdown.add('drain HTTP', 'server', step('server'));
    shutdown.add('stop embedded database', 'database', step('database'));
    shutdown.add('finish in-flight', 'job queue', step('job queue'));
    shutdown.add('finish in-flight', 'relay', step('relay'));
    shutdown.add('stop claiming', 'sender', step('stop claiming'));
    shutdown.add('finish in-flight', 'sends', step('sends'));
    await shutdown.run();
    expect(ran).toEqual(['stop claiming', 'server', 'sends', 'relay', 'job queue', 'database']);
    expect(lines.filter((l) => l.msg === 'shutdown phase').map((l) => l.phase)).toEqual([
      'stop claiming',
      'drain HTTP',
      'finish in-flight',
      'stop embedded database',
    ]);
  });

  test('when a step fails, then the later steps still run and the shutdown reports the first failure', async () => {
    const { shutdown, lines } = recordingShutdown();
    const ran: string[] = [];
    shutdown.add('close pools', 'database pool', async () => void ran.push('database pool'));
    shutdown.add('close pools', 'mailer', async () => {
      throw new Error('mailer would not close');
    });
    shutdown.add('stop embedded database', 'database', async () => void ran.push('database'));
    await expect(shutdown.run()).rejects.toThrow('mailer would not close');
    expect(ran).toEqual(['database pool', 'database']);
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual(['shutdown step failed']);
  });

  test('when stop is asked for twice, then each step runs once', async () => {
    const { shutdown } = recordingShutdown();
    let runs = 0;
    shutdown.add('drain HTTP', 'server', async () => void runs++);
    await Promise.all([shutdown.run(), shutdown.run()]);
    expect(runs).toBe(1);
  });
});
