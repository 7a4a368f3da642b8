#!/usr/bin/env bash
# Runs the whole test suite: installs the independent Iceberg/Parquet readers the tests use
# (icebird and hyparquet from the npm registry) and s3rver (an S3 server the S3 warehouse tests
# start), then every test project.
# PostgreSQL catalog tests run when QINDEX_TEST_PG is set (.ci/run starts a server and sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
# Reinstalled when package-lock.json changed since the last install (a reader or s3rver added).
if [ ! -f tests/js/node_modules/.package-lock.json ] || [ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
fi
dotnet test qindex.slnx -c Release --logger "console;verbosity=normal" "$@"
