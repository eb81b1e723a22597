import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../src/config';

const root = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const variables = Object.keys(configSchema.shape);

describe('files a new user reads', () => {
  test('when .env.example is read, then it lists every setting of the config module', () => {
    const listed = read('.env.example')
      .split('\n')
      .map((line) => /^#?\s*([A-Z][A-Z0-9_]+)=/.exec(line)?.[1])
      .filter(Boolean);
    expect([...listed].sort()).toEqual([...variables].sort());
  });

  test('when the README configuration table is read, then it names every setting', () => {
    const readme = read('README.md');
    const missing = variables.filter((v) => !readme.includes(`\`${v}\``));
    expect(missing).toEqual([]);
  });

  test('when every setting has a description, then the generated docs say what it is for', () => {
    const undocumented = variables.filter((v) => !configSchema.shape[v as keyof typeof configSchema.shape].description);
    expect(undocumented).toEqual([]);
  });

  test('when docker-compose.yml is parsed, then the app is wired to PostgreSQL and Mailpit by valid settings', () => {
    const compose = parse(read('docker-compose.yml'));
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'mailpit', 'postgres']);
    const env = compose.services.app.environment as Record<string, string>;
    expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
    expect(env.SMTP_URL).toBe('smtp://mailpit:1025');
    // The app's settings pass the same validation as at start-up.
    expect(() => loadConfig(env)).not.toThrow();
    const pg = compose.services.postgres.environment;
    expect(env.DATABASE_URL).toBe(
      `postgresql://${pg.POSTGRES_USER}:${pg.POSTGRES_PASSWORD}@postgres:5432/${pg.POSTGRES_DB}`,
    );
  });
});
