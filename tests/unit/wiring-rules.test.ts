import fs from 'node:fs';
import path from 'node:path';

const src = path.resolve(__dirname, '../../src');
const sources = (fs.readdirSync(src, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts') && !f.startsWith('generated'))
  .map((f) => ({ file: f, text: fs.readFileSync(path.join(src, f), 'utf8') }));

describe('one way to read settings and build dependencies', () => {
  test('when the sources are read, then only config.ts reads variables from process.env', () => {
    // Handing the whole environment to a child process (the embedded PostgreSQL) reads no setting.
    const readers = sources.filter((s) => /process\.env(\.|\[)|process\.env\)/.test(s.text)).map((s) => s.file);
    expect(readers).toEqual(['config.ts']);
  });

  test('when the commands are read, then they build their dependencies through wiring.ts, not main.ts', () => {
    const commands = sources.filter((s) => s.file.startsWith('cli/'));
    expect(commands.map((s) => s.file)).toContain('cli/send-digest.ts');
    expect(commands.filter((s) => /from '\.\.\/main'|process\.env/.test(s.text)).map((s) => s.file)).toEqual([]);
  });
});
