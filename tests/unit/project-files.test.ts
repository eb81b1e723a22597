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
    // The app's settings pass the same validation as at start-up, once the user gives the secrets.
    const random = '3f0c9a7d51b2e8c64a1f0d9e7b3c5a2f18e6d4c2b0a9f7e5d3c1b9a7f5e3d1c0';
    expect(() => loadConfig({ ...env, SECRET_KEY: random, ADMIN_TOKEN: random })).not.toThrow();
    const pg = compose.services.postgres.environment;
    expect(env.DATABASE_URL).toBe(
      `postgresql://${pg.POSTGRES_USER}:${pg.POSTGRES_PASSWORD}@postgres:5432/${pg.POSTGRES_DB}`,
    );
  });

  test('when docker-compose.yml is started unedited, then it stops for want of secrets instead of running with a published key', () => {
    const app = parse(read('docker-compose.yml')).services.app;
    // `${VAR:?message}`: compose refuses to start while VAR is unset or empty.
    expect(app.environment.SECRET_KEY).toMatch(/^\$\{SECRET_KEY:\?[^}]+\}$/);
    expect(app.environment.ADMIN_TOKEN).toMatch(/^\$\{ADMIN_TOKEN:\?[^}]+\}$/);
    // The image is built from the Dockerfile: no `npm ci` at each start, no checkout mounted into it.
    expect(app.build).toBe('.');
    expect(app.command).toBeUndefined();
    expect(app.volumes).toBeUndefined();
  });

  test('when the Dockerfile is read, then it builds in one stage and runs the compiled build as a non-root user in another', () => {
    const dockerfile = read('Dockerfile');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages.map((s) => / AS (\S+)/.exec(s)?.[1])).toEqual(['build', 'runtime']);
    const [build, runtime] = stages as [string, string];
    expect(build).toMatch(/RUN npm ci\b/);
    expect(build).toMatch(/RUN npm run build/);
    expect(runtime).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/COPY --from=build \/app\/dist /);
    expect(runtime).toMatch(/^USER node$/m);
    // The image runs Bulletin as `npm start` does, its Node flags included (the heap's bound).
    const start = (JSON.parse(read('package.json')).scripts.start as string).split(' ');
    expect(start).toEqual(['node', '--max-old-space-size=512', 'dist/main.js']);
    expect(JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)?.[1] ?? '[]')).toEqual(start);
    // Every file copied from the build context exists and is not excluded by .dockerignore.
    const ignored = read('.dockerignore').split('\n').filter((l) => l && !l.startsWith('#'));
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((f) => !fs.existsSync(path.join(root, f)) || ignored.includes(f))).toEqual([]);
  });

  test('when the Node versions are read, then package.json, the README, the Dockerfile and CI name the same supported ones', () => {
    const engines = JSON.parse(read('package.json')).engines.node as string;
    expect(engines).toBe('>=22.12');
    expect(read('README.md')).toContain('Node.js 22.12 or newer');
    expect(read('Dockerfile')).toMatch(/ARG NODE_IMAGE=node:24-/);
    // CI runs the suite on both lines that are supported: 22 (maintenance) and 24 (active LTS).
    expect(read('.ci/run')).toMatch(/NODE_VERSIONS=\(22 24\)/);
  });
});
