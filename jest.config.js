const fs = require('node:fs');
const path = require('node:path');

/**
 * Some dependencies (pg-boss, juice's helpers...) ship only ES modules, which
 * Jest's CommonJS runtime cannot load on Node 20. They are found here rather than listed by hand,
 * so an upgrade that turns a package into ESM does not break the suite.
 */
function esmPackageDirs() {
  const found = [];
  const scan = (dir, prefix) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        fs.readdirSync(path.join(dir, entry)).forEach((sub) => visit(dir, `${entry}/${sub}`, prefix));
      } else visit(dir, entry, prefix);
    }
  };
  const visit = (dir, name, prefix) => {
    const pkgDir = path.join(dir, name);
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
      if (pkg.type === 'module') found.push(`${prefix}${name}`);
    } catch {
      return; // not a package
    }
    scan(path.join(pkgDir, 'node_modules'), `${prefix}${name}/node_modules/`);
  };
  scan(path.join(__dirname, 'node_modules'), '');
  return found.map((d) => d.replace(/[.+]/g, '\\$&'));
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj|cj)sx?$': ['@swc/jest'] },
  // .mjs files are always transformed; .js files only when the innermost package is ESM.
  transformIgnorePatterns: [
    `^(?!.*/node_modules/(?:${esmPackageDirs().join('|')})/(?!.*/node_modules/)).*/node_modules/.+\\.c?js$`,
  ],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  globalSetup: '<rootDir>/tests/helpers/global-setup.js',
  globalTeardown: '<rootDir>/tests/helpers/global-teardown.js',
  testTimeout: 30_000,
  maxWorkers: 2,
};
