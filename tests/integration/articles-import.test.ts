import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runCommand, type CommandResult } from '../helpers/run-command';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';

const root = path.resolve(__dirname, '..', '..');

/** Runs a CLI as a user would (tsx, no build), against the test database. */
function runCli(script: string, args: string[], databaseUrl: string): Promise<CommandResult> {
  return runCommand(script, args, { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
}

describe('articles import CLI', () => {
  let app: TestBulletin;
  let tmp: string;
  beforeAll(async () => {
    app = await startTestBulletin();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-import-'));
  });
  afterAll(async () => {
    await app.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function rows(where: string, params: unknown[] = []) {
    const client = new pg.Client({ connectionString: app.db.url });
    await client.connect();
    try {
      return (await client.query(`SELECT source_id, title, url, summary, author, categories, published_at FROM articles WHERE ${where} ORDER BY source_id`, params)).rows;
    } finally {
      await client.end();
    }
  }

  test('when a JSON file is imported twice, then valid items are stored once and invalid ones are reported', async () => {
    const file = path.join(tmp, 'articles.json');
    fs.writeFileSync(
      file,
      JSON.stringify([
        { sourceId: 'json-1', title: 'Ferry adds evening crossings', url: 'https://news.example/json-1', summary: '<p>Two <b>more</b> boats.</p>', publishedAt: '2024-06-01T10:00:00Z', categories: ['Transport'], author: 'Maria' },
        { title: 'Market returns', url: 'https://news.example/json-2', publishedAt: '2024-06-01' },
        { title: 'No URL here' },
        { title: 'Bad date', url: 'https://news.example/json-4', publishedAt: 'soon' },
      ]),
    );
    const first = await runCli('src/cli/import-articles.ts', [file], app.db.url);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('created 2, updated 0, unchanged 0, invalid 2');
    expect(first.stdout).toContain('item 3: url: is required');
    expect(first.stdout).toContain('item 4: publishedAt: must be an ISO 8601 date');

    const stored = await rows(`url LIKE 'https://news.example/json-%'`);
    expect(stored).toEqual([
      expect.objectContaining({ source_id: 'https://news.example/json-2', title: 'Market returns' }),
      expect.objectContaining({ source_id: 'json-1', summary: 'Two more boats.', author: 'Maria', categories: ['Transport'] }),
    ]);

    const second = await runCli('src/cli/import-articles.ts', [file], app.db.url);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('created 0, updated 0, unchanged 2, invalid 2');
    expect(await rows(`url LIKE 'https://news.example/json-%'`)).toHaveLength(2);
  });

  test('when an RSS file is imported, then its items are stored with their guids', async () => {
    const result = await runCli('src/cli/import-articles.ts', [path.join(root, 'tests/fixtures/feeds/rss.xml')], app.db.url);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('created 2');
    expect(result.stdout).toContain('invalid 1');
    expect(await rows(`source_id = 'gazette-1001'`)).toEqual([
      expect.objectContaining({ title: 'Ferry timetable changes for the summer season', author: 'Maria Lindqvist' }),
    ]);
  });

  test('when the file cannot be read, then the CLI exits non-zero and says why', async () => {
    const result = await runCli('src/cli/import-articles.ts', [path.join(tmp, 'missing.json')], app.db.url);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('ENOENT');
  });

  test('when the file is neither JSON nor a feed, then the CLI exits non-zero and imports nothing', async () => {
    const file = path.join(tmp, 'garbage.json');
    fs.writeFileSync(file, '{"title": "half an object"');
    const result = await runCli('src/cli/import-articles.ts', [file], app.db.url);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/neither JSON nor an RSS\/Atom feed/);
    const broken = await runCli('src/cli/import-articles.ts', [path.join(root, 'tests/fixtures/feeds/broken.xml')], app.db.url);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/not well-formed XML/);
  });

  test('when the samples are imported, then all eight are dated within the last 20 hours', async () => {
    const before = Date.now();
    const result = await runCli('src/cli/sample-articles.ts', [], app.db.url);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('invalid 0');
    const samples = await rows(`source_id LIKE 'sample-harbor-gazette-%'`);
    expect(samples).toHaveLength(8);
    for (const sample of samples) {
      expect(sample.url).toMatch(/^https:\/\/news\.example\//);
      const age = before - new Date(`${(sample.published_at as Date).toISOString()}`).getTime();
      expect(age).toBeLessThan(20 * 60 * 60 * 1000);
      expect(sample.categories.length).toBeGreaterThan(0);
    }
  });
});
