// Prisma's schema engine (diffs, migrate dev/deploy/status...) compiled to WebAssembly, so that
// migrations can be generated and checked on machines that cannot download the native binary.
// Each workaround below says, where it is made, which fault of the wasm build or the pg adapter it avoids.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';

/** The subset of the wasm `SchemaEngine` we call; every method takes and returns the JSON-RPC shapes. */
type WasmEngine = Record<string, (params?: unknown) => Promise<unknown>> & { free(): void };

export interface SchemaEngineHandle {
  /** SQL that brings a database built from `migrationsDir` to schema.prisma; '' when they agree. */
  diffMigrationsToSchema(migrationsDir: string): Promise<string>;
  /** Generic passthrough: a JSON-RPC method of Prisma's schema engine with its params. */
  call(method: string, params?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export interface OpenSchemaEngineOptions {
  databaseUrl: string;
  /** schema.prisma, or the files of a multi-file schema; optional for methods that get schemas as params. */
  schemaPath?: string | string[];
  /** Receives the engine's tracing events (JSON strings). */
  onLog?: (json: string) => void;
}

const EMPTY_FILTER = { externalTables: [] as string[], externalEnums: [] as string[] };

// The WebAssembly global is not in this project's `lib` (no DOM types): declare the two bits we use.
const WA = (globalThis as unknown as {
  WebAssembly: {
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  };
}).WebAssembly;

let lastPanicMessage: string | undefined;

let wasmModule: { SchemaEngine: { new: (...args: unknown[]) => Promise<WasmEngine> }; version(): string } | undefined;

/**
 * The package entry imports the .wasm as an ES module, which Node 20 cannot do, so we wire the
 * wasm-bindgen glue (`schema_engine_bg.js`) to the compiled module by hand. Done once per process.
 */
function loadWasm(): NonNullable<typeof wasmModule> {
  if (wasmModule) return wasmModule;
  const glue = require('@prisma/schema-engine-wasm/schema_engine_bg') as Record<string, unknown>;
  const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm');
  // A Rust panic hands its message to this global before the wasm traps; without it the panic
  // itself crashes with "Cannot read properties of undefined (reading 'set_message')".
  const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(msg: string): void } };
  g.PRISMA_WASM_PANIC_REGISTRY ??= { set_message: (msg) => (lastPanicMessage = msg) };
  const imports: Record<string, unknown> = { ...glue };
  // The engine arms a ~10 s timer it never clears, which would keep every CLI run alive for 10 s.
  for (const name of Object.keys(imports)) {
    if (name.startsWith('__wbg_setTimeout_')) {
      imports[name] = (fn: () => void, ms: number) => setTimeout(fn, ms >>> 0).unref();
    }
  }
  const instance = new WA.Instance(new WA.Module(fs.readFileSync(wasmPath)), { './schema_engine_bg.js': imports });
  (glue.__wbg_set_wasm as (exports: unknown) => void)(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  wasmModule = glue as unknown as NonNullable<typeof wasmModule>;
  return wasmModule;
}

/** Version of the wasm engine (e.g. for `schema-engine --version`). */
export function wasmEngineVersion(): string {
  return loadWasm().version();
}

/** Postgres' internal `"char"` type (OID 18) read as text (OID 25): @prisma/adapter-pg rejects it, and
 * the engine's catalog queries return it, so diffs would fail without this. */
type Fields = { fields?: Array<{ dataTypeID: number }> };
function charAsText<T>(result: T): T {
  for (const r of (Array.isArray(result) ? result : [result]) as Fields[]) {
    for (const f of r?.fields ?? []) if (f.dataTypeID === 18) f.dataTypeID = 25;
  }
  return result;
}
class CharAsTextClient extends pg.Client {
  override query(...args: unknown[]): never {
    const last = args.length - 1;
    const cb = args[last];
    if (typeof cb === 'function') {
      args[last] = (err: unknown, res: unknown) => cb(err, err ? res : charAsText(res));
      return (pg.Client.prototype.query as (...a: unknown[]) => never).apply(this, args);
    }
    const ret = (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    return (ret instanceof Promise ? ret.then(charAsText) : ret) as never;
  }
}

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;

/** Adapter factory for the engine. The shadow database is created and dropped here rather than by
 * PrismaPg.connectToShadowDb(), which given a URL connects to the MAIN database (the URL wins over
 * `database`) and drops the shadow database while its pool still holds connections. */
function adapterFactory(databaseUrl: string, open: Set<SqlDriverAdapter>): SqlMigrationAwareDriverAdapterFactory {
  // Parsed on first use: methods that get everything from their params work without a URL.
  const clientConfig = () => {
    if (!databaseUrl) throw new Error('The schema engine needs a database URL for this operation');
    return parseIntoClientConfig(databaseUrl);
  };
  // allowExitOnIdle: idle pooled connections must not keep a CLI process alive (pg's default is 10 s).
  const poolConfig = () => ({ ...clientConfig(), Client: CharAsTextClient, allowExitOnIdle: true }) as pg.PoolConfig;
  const admin = async (sql: string) => {
    const client = new pg.Client(clientConfig());
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  // Adapters are tracked so close() can end pools the engine left open; dispose runs at most once.
  const track = (adapter: PgAdapter, after?: () => Promise<void>) => {
    // PrismaPg splits scripts on ";" and runs the pieces one by one: a migration failing halfway stays
    // half-applied, and a ";" inside a string or function body breaks it. The native engine sends the
    // script as one simple query (one implicit transaction); do the same.
    adapter.executeScript = async (script: string) => {
      try {
        await adapter.underlyingDriver().query(script);
      } catch (err) {
        (adapter as unknown as { onError(e: unknown): never }).onError(err); // -> DriverAdapterError
      }
    };
    const dispose = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    adapter.dispose = () =>
      (disposed ??= (async () => {
        open.delete(adapter);
        await dispose();
        await after?.();
      })());
    open.add(adapter);
    return adapter;
  };
  const probe = new PrismaPg({});
  return {
    provider: probe.provider,
    adapterName: probe.adapterName,
    connect: async () => track(await new PrismaPg(poolConfig()).connect()),
    async connectToShadowDb(): Promise<SqlDriverAdapter> {
      const name = `prisma_migrate_shadow_db_${randomUUID().replace(/-/g, '')}`;
      await admin(`CREATE DATABASE "${name}"`);
      const adapter = await new PrismaPg({ ...poolConfig(), database: name }).connect();
      // The pool is closed first, then the database dropped (FORCE in case a connection lingers).
      return track(adapter, () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** Reads a migrations directory the way the Prisma CLI does (same JSON shape, same order). */
export function readMigrationsList(migrationsDir: string, shadowDbInitScript = '') {
  const baseDir = path.resolve(migrationsDir);
  const lockPath = path.join(baseDir, 'migration_lock.toml');
  const dirs = fs.existsSync(baseDir)
    ? fs.readdirSync(baseDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)
    : [];
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript,
    migrationDirectories: dirs.sort((a, b) => a.localeCompare(b)).map((name) => {
      const file = path.join(baseDir, name, 'migration.sql');
      let content: { tag: 'ok'; value: string } | { tag: 'error'; value: string };
      try {
        content = { tag: 'ok', value: fs.readFileSync(file, 'utf8') };
      } catch (e) {
        content = { tag: 'error', value: (e as Error).message };
      }
      return { path: name, migrationFile: { path: 'migration.sql', content } };
    }),
  };
}

export async function openSchemaEngine(opts: OpenSchemaEngineOptions): Promise<SchemaEngineHandle> {
  const { SchemaEngine } = loadWasm();
  const schemaPaths = [opts.schemaPath ?? []].flat().map((p) => path.resolve(p));
  const adapters = new Set<SqlDriverAdapter>();
  const schemaFiles = () => schemaPaths.map((p) => ({ path: p, content: fs.readFileSync(p, 'utf8') }));
  const engine = await SchemaEngine.new(
    // No datamodels must be `undefined`: an empty list makes the engine panic on the first call.
    { datamodels: schemaPaths.length ? schemaFiles().map((f) => [f.path, f.content]) : undefined },
    (log: string) => opts.onLog?.(log),
    bindMigrationAwareSqlAdapterFactory(adapterFactory(opts.databaseUrl, adapters)),
  );
  const call = async (method: string, params?: unknown) => {
    const fn = engine[method];
    if (typeof fn !== 'function') throw new Error(`schema engine has no method "${method}"`);
    lastPanicMessage = undefined;
    try {
      return await fn.call(engine, params);
    } catch (err) {
      // A panic surfaces as a bare wasm trap ("unreachable"); attach the Rust message.
      if (lastPanicMessage && err instanceof Error) Object.assign(err, { message: `${lastPanicMessage}\n${err.message}`, isPanic: true });
      throw err;
    }
  };
  return {
    call,
    async diffMigrationsToSchema(migrationsDir) {
      if (!schemaPaths.length) throw new Error('diffMigrationsToSchema needs the engine opened with schemaPath');
      const result = (await call('diff', {
        from: { tag: 'migrations', ...readMigrationsList(migrationsDir) },
        to: { tag: 'schemaDatamodel', files: schemaFiles() },
        script: true,
        exitCode: true, // exitCode 2 means "there is a difference"
        filters: EMPTY_FILTER,
      })) as { exitCode: number; stdout: string | null };
      return result.exitCode === 0 ? '' : (result.stdout ?? '');
    },
    async close() {
      engine.free();
      await Promise.all([...adapters].map((a) => a.dispose()));
    },
  };
}
