// Plain JavaScript on purpose: Jest's require hook cannot load the ESM-only dependencies that the
// database set-up uses, so that work runs in child processes under tsx, as `npm start` does.
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');

const tsx = (file) => [process.execPath, ['--import', 'tsx', path.join(__dirname, file)]];

/**
 * Tests run against a real PostgreSQL: the server in TEST_DATABASE_URL (or DATABASE_URL) when set,
 * whose user needs CREATEDB; otherwise an embedded one started here, so `npm test` works anywhere.
 */
module.exports = async function globalSetup() {
  process.env.BULLETIN_TEST_RUN_ID = `${process.pid}_${Date.now().toString(36)}`;
  let url = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (!url) {
    const [node, args] = tsx('test-postgres-server.ts');
    // The server stops when its stdin closes, so it cannot outlive an aborted test run.
    const server = spawn(node, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    globalThis.__testPostgresServer = server;
    url = await firstLine(server);
  }
  process.env.BULLETIN_TEST_SERVER_URL = url;
  const [node, args] = tsx('prepare-template-database.ts');
  execFileSync(node, args, { stdio: 'inherit', env: process.env });
};

function firstLine(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline >= 0) resolve(out.slice(0, newline).trim());
    });
    child.once('exit', (code) => reject(new Error(`test PostgreSQL exited with code ${code}`)));
  });
}
