import fs from 'node:fs';
import path from 'node:path';

// The rule of README.md, "Reaching the database", checked on the source: hand-written SQL lives in
// the areas' query modules (and the database layer itself), transactions go through one helper.

const root = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return file === 'src/generated' ? [] : sourceFiles(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

const sources = sourceFiles('src').map((file) => ({ file, text: fs.readFileSync(path.join(root, file), 'utf8') }));

/** Modules whose purpose is SQL: the areas' named statements, the ledger (its session settings), and src/db. */
const isSqlHome = (file: string) =>
  file.endsWith('-queries.ts') || file === 'src/digests/delivery-ledger.ts' || file.startsWith('src/db/');

describe('reaching the database', () => {
  test('when the source is read, then no statement goes through Prisma\'s raw queries', () => {
    const raw = sources.filter(({ text }) => /\$(query|execute)Raw/.test(text)).map(({ file }) => file);
    expect(raw).toEqual([]);
  });

  test('when the source is read, then SQL is written only in the query modules and src/db', () => {
    // A literal passed straight to query(), or a pg query config's text: SQL written where it is run.
    const inline = sources
      .filter(({ file, text }) => !isSqlHome(file) && /\.query(<[^>]*>)?\(\s*[`'"]|\btext:\s*`/.test(text))
      .map(({ file }) => file);
    expect(inline).toEqual([]);
  });

  test('when the source is read, then the digest area, the newsletters\' reads and digest:now make no Prisma query', () => {
    // A process that only sends must not load Prisma's query compiler (+35-47 MB RSS): see
    // src/newsletters/newsletter-queries.ts. Types from the generated client cost nothing.
    const sending = (file: string) =>
      file.startsWith('src/digests/') ||
      ['src/newsletters/newsletter-repository.ts', 'src/newsletters/newsletter-queries.ts', 'src/cli/send-digest.ts'].includes(file);
    const usingPrisma = sources
      .filter(({ file, text }) => sending(file) && /\bprisma\b(?!\/)|PrismaClient|^import (?!type )[^;]*generated\/prisma/m.test(text))
      .map(({ file }) => file);
    expect(sources.filter(({ file }) => sending(file)).length).toBeGreaterThan(10);
    expect(usingPrisma).toEqual([]);
  });

  test('when the source is read, then only the transaction helper sends BEGIN, COMMIT or ROLLBACK', () => {
    const handWritten = sources
      .filter(({ file, text }) => file !== 'src/db/transaction.ts' && /[`'"](BEGIN|COMMIT|ROLLBACK)[`'"]/.test(text))
      .map(({ file }) => file);
    expect(handWritten).toEqual([]);
  });
});
