#!/usr/bin/env bash
# Installs what the browser tests need when it is missing: Debian's chromium and the
# npm packages of e2e/ (playwright-core, which never downloads a browser of its own, and
# @redocly/cli, which lints the OpenAPI documents).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing chromium (Debian package)…"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@redocly/cli ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
