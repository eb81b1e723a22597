// `npm run admin:create -- EMAIL`: makes the first admin of the console (or any later one) and
// prints a one-time link, valid one hour, that sets the password. For an address that already has
// an account it prints a fresh link instead: the way back in for an admin who lost their password.
import { createAccounts } from '../accounts/create-accounts';
import { commandEnvironment, loadConfig } from '../config';
import { systemClock } from '../shared/clock';
import { AppError } from '../shared/errors';
import { commandLogger, openDatabase, withPublicUrl } from '../wiring';

async function main(argv: string[]): Promise<number> {
  if (argv.length !== 1 || !argv[0]) {
    console.error('usage: npm run admin:create -- <email>');
    return 2;
  }
  const loaded = loadConfig(commandEnvironment());
  if (!loaded.PUBLIC_URL && loaded.PORT === 0) {
    console.error('admin:create: with PORT=0 and no PUBLIC_URL the link would name no port. Set PUBLIC_URL and run it again.');
    return 2;
  }
  // The same base as the running server's links (see startBulletin).
  const config = withPublicUrl(loaded, loaded.PORT);
  const database = await openDatabase({ ...config, DATABASE_POOL_SIZE: 2 }, commandLogger(config));
  try {
    const accounts = createAccounts({ prisma: database.db.prisma, pool: database.db.pool, clock: systemClock, publicUrl: config.PUBLIC_URL, config });
    const { user, link, created } = await accounts.users.createFromCommandLine(argv[0]);
    const what = created
      ? `Created the admin ${user.email}.`
      : `${user.email} already has an account (${user.role}); this link ${link.purpose === 'reset' ? 'replaces its password' : 'sets its first password'}.`;
    console.log(what);
    console.log(`Open this link within the hour to set the password (it works once):`);
    console.log(link.url);
    return 0;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const fields = Object.values(err.details.fields ?? {});
    console.error(`admin:create: ${fields.length ? fields.join('; ') : err.message}`);
    return 2;
  } finally {
    await database.stop();
  }
}

// A bad setting or an unreachable database is one sentence for the user, not a stack trace.
if (require.main === module) {
  void main(process.argv.slice(2))
    .catch((err: Error) => {
      console.error(`admin:create: ${err.message}`);
      return 1;
    })
    .then((code) => (process.exitCode = code));
}
