#!/usr/bin/env bash
# Set up the venv with the test tools, lint, and run every test (browser tests need /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
if [ ! -x /usr/bin/chromium ] && [ "${CI:-}" = "true" ]; then
  echo "CI needs Debian's chromium for the browser tests: apt-get install -y --no-install-recommends chromium" >&2
  exit 1
fi
.venv/bin/python -m pytest -q "$@"
