#!/usr/bin/env bash
# Regenerates the configuration table in README.md and .env.example from src/config.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
table=$(node --import tsx scripts/config-docs.ts --markdown)
node -e '
  const fs = require("fs");
  const readme = fs.readFileSync("README.md", "utf8");
  const out = readme.replace(/(<!-- config-table:start -->)[\s\S]*(<!-- config-table:end -->)/, `$1\n${process.argv[1]}\n$2`);
  fs.writeFileSync("README.md", out);
' "$table"
node --import tsx scripts/config-docs.ts > .env.example
