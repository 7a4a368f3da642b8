#!/usr/bin/env bash
# Runs the whole test suite: installs the independent Iceberg/Parquet readers the tests use
# (icebird and hyparquet from the npm registry), then every test project.
# PostgreSQL catalog tests run when QINDEX_TEST_PG is set (.ci/run starts a server and sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d tests/js/node_modules ]; then
  npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
fi
dotnet test qindex.slnx -c Release --logger "console;verbosity=normal" "$@"
