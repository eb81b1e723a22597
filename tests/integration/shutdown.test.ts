import http from 'node:http';
import net from 'node:net';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { startBulletin, type RunningBulletin } from '../../src/main';
import { createLogger } from '../../src/shared/logger';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { SmtpCapture } from '../helpers/smtp-capture';
import { freePort, TEST_ADMIN_TOKEN, TEST_POSTAL_ADDRESS, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

/** A signup whose body has not arrived yet: the server holds the request until `finish` sends it. */
async function signupInFlight(port: number, email: string) {
  const body = JSON.stringify({ email });
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/subscribe',
    agent: false,
    // The server answers "100 Continue" once the request is in its hands (before the body).
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Expect: '100-continue', Connection: 'close' },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
  });
  await new Promise<void>((resolve) => req.once('continue', resolve));
  return {
    finish: () => {
      req.end(body);
      return response;
    },
  };
}

/** Resolves once the port refuses connections: the server has stopped accepting them. */
async function refused(port: number): Promise<void> {
  for (;;) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (!accepted) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('shutdown with an edition being sent', () => {
  let db: TestDatabase;
  let smtp: SmtpCapture;
  let fx: DigestFixtures;
  let bulletin: RunningBulletin;
  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await new SmtpCapture().start();
    fx = new DigestFixtures(db.url);
    const port = await freePort();
    const config = loadConfig({
      DATABASE_URL: db.url,
      SMTP_URL: smtp.url,
      MAIL_POSTAL_ADDRESS: TEST_POSTAL_ADDRESS,
      SECRET_KEY: 'shutdown-secret-key-0123456789abcdef012345',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      PORT: String(port),
      LOG_LEVEL: 'silent',
      // Only the command below makes an edition; two messages in flight, claimed two at a time.
      ...QUIET_SCHEDULES,
      SEND_CONCURRENCY: '2',
      SEND_BATCH_SIZE: '2',
    });
    bulletin = await startBulletin(config, createLogger('silent'));
  });
  afterAll(async () => {
    await bulletin.stop();
    await fx.close();
    await smtp.stop();
    await db.drop();
  });

  test('when the service stops while an edition is sending, then no delivery is claimed after the stop began, the sends in flight are recorded, and a request in flight still gets its answer', async () => {
    await fx.subscribers(6);
    await fx.article({ title: 'Sent while stopping' });
    let answer!: () => void;
    smtp.answerAfter = new Promise((resolve) => (answer = resolve));
    const sent = await request(bulletin.url)
      .post('/api/admin/digests')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .send({ frequency: 'daily' });
    expect(sent.status).toBe(201);
    const digestId: number = sent.body.digest.id;
    // Two messages are in flight, held by the slow SMTP server; four deliveries wait.
    await smtp.waitFor(() => smtp.messages.length === 2);
    expect(await fx.deliveryCounts(digestId)).toEqual({ sending: 2, pending: 4 });
    const signup = await signupInFlight(Number(new URL(bulletin.url).port), 'late-reader@example.org');

    const stopped = bulletin.stop();
    // The server no longer accepts connections: HTTP is draining (the signup holds it open).
    await refused(Number(new URL(bulletin.url).port));
    // The SMTP server answers again, at once from now on: a sender still claiming would send more.
    smtp.answerAfter = undefined;
    answer();
    for (let counts = await fx.deliveryCounts(digestId); (counts.sent ?? 0) < 2; counts = await fx.deliveryCounts(digestId)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const response = await signup.finish();
    await stopped;

    expect(response.status).toBe(202);
    expect(await fx.deliveryCounts(digestId)).toEqual({ sent: 2, pending: 4 });
    // The signup's confirmation email may go out too, before the job queue stops: count the edition's.
    expect(smtp.messages.filter((m) => m.to.some((to) => to.endsWith('@example.test')))).toHaveLength(2);
    const { rows } = await fx.pool.query(`SELECT status::text FROM subscribers WHERE email = 'late-reader@example.org'`);
    expect(rows).toEqual([{ status: 'pending' }]);
  });
});
