#!/usr/bin/env bash
# Makes sure the browser tests can start Chromium: Debian's `chromium` at /usr/bin/chromium (Playwright
# cannot download browsers here). Installs it when missing and running as root; otherwise says what to do.
# Part of the README's test command, so a fresh machine of this kind needs nothing else.
set -euo pipefail
CHROMIUM=${PIPELINE_TRACE_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-chromium: $CHROMIUM is missing. Install Debian's browser as root: apt-get install -y chromium" >&2
  echo "ensure-chromium: (or point PIPELINE_TRACE_CHROMIUM at a Chromium binary), then run the tests again." >&2
  exit 1
fi
echo "ensure-chromium: installing Debian's chromium for the browser tests (about a minute)..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
[ -x "$CHROMIUM" ] || { echo "ensure-chromium: chromium did not install at $CHROMIUM" >&2; exit 1; }
