const path = require('node:path');
const { execFileSync } = require('node:child_process');

module.exports = async function globalTeardown() {
  const server = globalThis.__testPostgresServer;
  if (server && server.exitCode === null) {
    // The embedded server and its data folder go away as a whole.
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.stdin.end();
    await exited;
    return;
  }
  // A shared server (TEST_DATABASE_URL): drop this run's databases only.
  execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'drop-run-databases.ts')], {
    stdio: 'inherit',
    env: process.env,
  });
};
