#!/bin/sh
# Installs the headless browser the HTML report tests drive: Debian's chromium, run by
# playwright-core (a devDependency) with executablePath /usr/bin/chromium. Idempotent: does
# nothing when chromium is already there. playwright's own browser download does not work here.
set -eu
if [ -x /usr/bin/chromium ]; then
  /usr/bin/chromium --version 2>/dev/null || true
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
