#!/usr/bin/env bash
# Prepare a machine to build and test Kuacheng. Idempotent, and fast when nothing is missing.
#
#   1. System tools (Debian apt): redis-server (integration tests start their own on loopback),
#      openssl (verifying signatures by hand, certificate checks), chromium (the citizen page is
#      checked in headless Chromium, driven by playwright-core) with a CJK font (fonts-wqy-microhei,
#      for readable screenshots). `apt-get update` runs only when
#      something has to be installed. Uses sudo when not root.
#   2. npm ci, when node_modules is missing or package-lock.json is newer than the last install
#      (node_modules/.package-lock.json).
#
# protoc is not needed: buf and ts-proto come from npm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# --- Node -----------------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node is not installed (need Node.js >= 20.10)"
command -v npm >/dev/null 2>&1 || die "npm is not installed (it ships with Node.js)"
if ! node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  process.exit(maj > 20 || (maj === 20 && min >= 10) ? 0 : 1);'; then
  die "Node.js $(node --version) is too old: need >= 20.10 (see package.json engines)"
fi

# --- System packages ------------------------------------------------------------------------------
# command name -> Debian package
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# A CJK font, so the console's and the citizen page's screenshots show Chinese, not empty boxes.
[[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || missing+=(fonts-wqy-microhei)

if ((${#missing[@]} > 0)); then
  command -v apt-get >/dev/null 2>&1 ||
    die "missing ${missing[*]} and apt-get is not available: install them with your package manager"
  if [[ $(id -u) -eq 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    die "missing ${missing[*]}: run as root or install sudo (or: apt-get install ${missing[*]})"
  fi
  say "installing ${missing[*]} (apt-get)…"
  apt_log=$(mktemp)
  trap 'rm -f "$apt_log"' EXIT
  if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$apt_log" 2>&1 ||
    ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    die "apt-get failed to install ${missing[*]}"
  fi
  for cmd in redis-server openssl chromium; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd is still missing after apt-get install"
  done
  say "installed ${missing[*]}"
fi

# --- npm dependencies -----------------------------------------------------------------------------
[[ -f package-lock.json ]] || die "package-lock.json is missing: it must be committed"
reason=""
if [[ ! -d node_modules ]]; then
  reason="node_modules is missing"
elif [[ ! -f node_modules/.package-lock.json ]]; then
  reason="node_modules was not installed by npm"
elif [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  reason="package-lock.json changed since the last install"
fi
if [[ -n $reason ]]; then
  say "$reason: running npm ci…"
  npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed"
  say "npm ci done"
fi

say "ok (node $(node --version), $(redis-server --version | awk '{print $3}' | tr -d 'v='), $(openssl version | awk '{print $1, $2}'))"
