module.exports = async function globalTeardown() {
  const server = globalThis.__testPostgresServer;
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.stdin.end();
  await exited;
};
