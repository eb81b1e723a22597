import { runPrefix, withAdmin } from './test-database';

void withAdmin(async (admin) => {
  const own = await admin.query(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [runPrefix()]);
  for (const row of own.rows) await admin.query(`DROP DATABASE "${row.datname}" WITH (FORCE)`);
});
