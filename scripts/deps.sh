#!/usr/bin/env bash
# Install every Debian package and npm package that building and testing lcw
# needs. Idempotent: installs only what is missing, so it is cheap to run
# before every build. Needs root (or sudo) only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libmicrohttpd-dev libgnutls28-dev libjansson-dev libsqlite3-dev libpq-dev
  libcurl4-openssl-dev libldap2-dev libsodium-dev libinih-dev libcmocka-dev
  openssl sqlite3 python3-aiosmtpd postgresql slapd ldap-utils chromium
)

missing=()
# Node.js may come with the machine rather than from Debian; ask apt only when
# the commands are missing (Debian's npm conflicts with a non-Debian node).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Test clients (Graph SDKs, the browser driver): pinned in package-lock.json.
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "deps: npm ci" >&2
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi
