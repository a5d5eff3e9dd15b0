#!/bin/sh
# Installs what the workspace needs on a machine that has Node and npm: pnpm, then the locked dependencies.
set -e
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "10.34.8" ]; then
  npm install --global --silent pnpm@10.34.8 >/dev/null
fi
pnpm install --frozen-lockfile --reporter=silent
