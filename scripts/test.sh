#!/usr/bin/env bash
# Runs the whole test suite: installs the independent Iceberg/Parquet readers the tests use
# (icebird and hyparquet from the npm registry) and s3rver (an S3 server the S3 warehouse tests
# start), then every test project.
# PostgreSQL catalog tests run when QINDEX_TEST_PG is set (.ci/run starts a server and sets it).
# When a test fails, its name, message and stack are printed again at the very end, so the last
# lines of a long log (all a CI summary may keep) say which test failed and why.
set -euo pipefail
cd "$(dirname "$0")/.."
# Reinstalled when package-lock.json changed since the last install (a reader or s3rver added).
if [ ! -f tests/js/node_modules/.package-lock.json ] || [ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
fi
log=$(mktemp "${TMPDIR:-/tmp}/qindex-tests.XXXXXX")
trap 'rm -f "$log"' EXIT
status=0
dotnet test qindex.slnx -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
  python3 scripts/failed-tests.py "$log"
fi
exit "$status"
