#!/usr/bin/env bash
# The dashboard's browser tests drive Debian's chromium through playwright-core
# (playwright never downloads a browser here). Install it when it is missing.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  echo "ci: installing chromium for the dashboard browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null || true
