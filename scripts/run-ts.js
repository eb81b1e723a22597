#!/usr/bin/env node
// Runs a TypeScript file with tsx, without a build step: `node scripts/run-ts.js file.ts [args...]`.
// A child process (rather than an in-process require hook) keeps `require.main === module` true in the
// .ts entry point, and its exit code or signal becomes ours.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/run-ts.js <file.ts> [args...]');
  process.exit(2);
}
const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(file), ...args], { stdio: 'inherit' });
// Ctrl-C reaches the whole process group: ignore it here and let the child decide when to exit.
process.on('SIGINT', () => {});
// A supervisor's SIGTERM/SIGHUP is sent to us alone: pass it on.
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
