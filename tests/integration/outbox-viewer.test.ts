import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { spawnBulletin, type BulletinProcess } from '../helpers/spawn-bulletin';
import { freePort } from '../helpers/test-bulletin';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

describe('the outbox viewer on a public interface', () => {
  let db: TestDatabase;
  let dir: string;
  let app: BulletinProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-public-outbox-'));
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('when HOST is not a loopback address and SMTP_URL is unset, then /outbox is not served and the log says where the emails are', async () => {
    const port = await freePort();
    app = spawnBulletin({
      DATABASE_URL: db.url,
      SECRET_KEY: 'public-outbox-secret-key-0123456789abcdef',
      HOST: '0.0.0.0',
      PORT: String(port),
      OUTBOX_DIR: dir,
    });
    const warning = await app.waitForLog('outbox viewer not served: HOST is not a loopback address; emails are .eml files in outboxDir', 60_000);
    expect(warning).toMatchObject({ outboxDir: dir, host: '0.0.0.0' });
    await app.waitForLog('Bulletin is running');
    const http = request(`http://127.0.0.1:${port}`);

    await http.post('/subscribe').send({ email: `public-${Date.now()}@example.org` }).expect(202);
    // The confirmation email is still written, to the folder only.
    const deadline = Date.now() + 15_000;
    while (!fs.readdirSync(dir).some((n) => n.endsWith('.eml')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const [name] = fs.readdirSync(dir).filter((n) => n.endsWith('.eml'));
    expect(name).toBeDefined();

    expect((await http.get('/outbox')).status).toBe(404);
    expect((await http.get(`/outbox/${name}`)).status).toBe(404);
    expect((await http.get(`/outbox/${name}?raw`)).status).toBe(404);
  }, 90_000);
});
