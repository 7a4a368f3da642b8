#!/usr/bin/env bash
# Builds qindex as one self-contained executable for Linux x64 (no .NET install needed on the
# target): publish/linux-x64/qindex. Usage: scripts/publish.sh [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-publish/linux-x64}"
dotnet publish src/Qindex.Cli/Qindex.Cli.csproj -c Release -r linux-x64 --self-contained true \
  -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:DebugType=none \
  -o "$out"
echo "built $out/qindex ($(du -h "$out/qindex" | cut -f1))"
