import { startBulletin } from './bulletin';
import { load, signupRequests } from './load';
import { openBenchDatabase } from './database';
(async () => {
  const db = await openBenchDatabase(console.log);
  const prof = process.env.PROF === '1';
  const b = await startBulletin({ databaseUrl: db.url, smtpPort: 2525, runJobs: false, nodeArgs: prof ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [] });
  await load({ url: b.url, requests: signupRequests('json', 'warm'), connections: 50, durationSeconds: 3 });
  const t0 = process.cpuUsage();
  const r = await load({ url: b.url, requests: signupRequests('json', 'p'), connections: 50, durationSeconds: 6 });
  console.log(JSON.stringify(r));
  await b.stop();
  await db.stop();
})();
