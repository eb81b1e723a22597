import request from 'supertest';
import { loadConfig } from '../../src/config';
import { startBulletin, type RunningBulletin } from '../../src/main';
import { createLogger } from '../../src/shared/logger';
import { freePort, startTestBulletin, type TestBulletin, TEST_POSTAL_ADDRESS } from '../helpers/test-bulletin';
import { queryOne, relative, subscribeAndConfirm, uniqueEmail } from './subscription-test-kit';

const OLD_KEY = 'old-secret-key-0123456789abcdef0123456789';
const NEW_KEY = 'new-secret-key-0123456789abcdef0123456789';

describe('rotating SECRET_KEY', () => {
  let before: TestBulletin;
  beforeAll(async () => {
    before = await startTestBulletin({ SECRET_KEY: OLD_KEY, RATE_LIMIT_PER_IP: '10000' });
  });
  afterAll(async () => {
    await before.stop();
  });

  /** Another instance on the same database and SMTP peer, as after a redeploy with new keys. */
  async function restartWith(env: Record<string, string>): Promise<RunningBulletin> {
    const port = await freePort();
    const config = loadConfig({
      DATABASE_URL: before.db.url,
      SMTP_URL: before.smtp.url,
      MAIL_POSTAL_ADDRESS: TEST_POSTAL_ADDRESS,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      DATABASE_POOL_SIZE: '2',
      RUN_JOBS: 'false',
      ...env,
    });
    return startBulletin(config, createLogger(config.LOG_LEVEL));
  }

  test('when the old key is listed in SECRET_KEY_PREVIOUS, then the List-Unsubscribe of an email sent before still unsubscribes, and new links use the new key', async () => {
    const email = uniqueEmail();
    const { welcome, subscriberId } = await subscribeAndConfirm(before, email);
    const oldLink = relative(welcome.header('List-Unsubscribe')[0]!.match(/<(http[^>]+)>/)![1]!);

    const withoutPrevious = await restartWith({ SECRET_KEY: NEW_KEY });
    try {
      // What rotating did before SECRET_KEY_PREVIOUS existed: every link already sent is dead.
      expect((await request(withoutPrevious.url).get(oldLink)).status).toBe(404);
    } finally {
      await withoutPrevious.stop();
    }

    const rotated = await restartWith({ SECRET_KEY: NEW_KEY, SECRET_KEY_PREVIOUS: OLD_KEY });
    try {
      const page = await request(rotated.url).get(oldLink).expect(200);
      const newLink = /action="(\/unsubscribe\?s=[^"]+)"/.exec(page.text)![1]!;
      expect(newLink).not.toBe(oldLink);
      const res = await request(rotated.url).post(oldLink).type('form').send('List-Unsubscribe=One-Click');
      expect(res.status).toBe(200);
      expect(await queryOne(before, 'SELECT status FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ status: 'unsubscribed' });
      // The link signed with the new key is the one the old instance (old key only) cannot read.
      expect((await request(before.url).get(newLink)).status).toBe(404);
    } finally {
      await rotated.stop();
    }
  });
});
