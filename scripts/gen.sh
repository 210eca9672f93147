#!/usr/bin/env bash
# Regenerate ALL generated code (npm run gen), or check that the committed copy is current
# (npm run gen:check, run by npm test / CI).
#
#   protos/kuacheng/**/*.proto  --buf + ts-proto (buf.gen.yaml)-->  protos/gen/
#   adapters/<d>/openapi.yaml   --openapi-typescript-------------->  adapters/<d>/generated/approval-api.ts
#   courier/<c>/openapi.yaml    --openapi-typescript-------------->  courier/<c>/generated/tracking-api.ts
#   gateway/rest/openapi.yaml   --openapi-typescript-------------->  gateway/rest/generated/staff-api.ts
#
# The generated folders (protos/gen/, adapters/*/generated/, courier/*/generated/,
# gateway/rest/generated/) belong to this script: nothing in them is edited by hand. Everything is first generated into a fresh temporary directory; then
#   (default)  the working tree is brought in line with it: changed files are rewritten, files that
#              are no longer generated (a removed .proto or openapi.yaml) are deleted, unchanged files
#              are left alone (their mtimes do not move);
#   --check    nothing is written; any difference is listed and the script exits 1.
# Output is deterministic: no timestamps, no absolute paths (ts-proto's header names the ts-proto
# version from package-lock.json and "protoc unknown", since buf does not report a protoc version).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
shopt -s nullglob

say() { printf 'gen: %s\n' "$*"; }
die() { printf 'gen: error: %s\n' "$*" >&2; exit 1; }

mode=write
case "${1:-}" in
  '') ;;
  --check) mode=check ;;
  -h | --help)
    sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown argument '$1' (usage: scripts/gen.sh [--check])" ;;
esac

[[ -x node_modules/.bin/buf && -x node_modules/.bin/protoc-gen-ts_proto && -x node_modules/.bin/openapi-typescript ]] ||
  die "buf, ts-proto or openapi-typescript is not installed: run bash scripts/setup.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kc-gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Run a generator quietly; show its output only when it fails.
run() {
  local what=$1
  shift
  if ! "$@" >"$tmp/.log" 2>&1; then
    cat "$tmp/.log" >&2
    die "$what failed"
  fi
}

# --- 1. generate everything into $tmp -------------------------------------------------------------
out="$tmp/tree"
mkdir -p "$out"
# buf prefixes the template's `out` (protos/gen) with --output.
run "buf generate" npx --no-install buf generate --template buf.gen.yaml --output "$out"
# The file generated from a spec, in <the spec's folder>/generated/ (a function, not an associative
# array: macOS still ships bash 3.2).
generated_name() {
  case $1 in
    courier/*) echo tracking-api.ts ;;
    gateway/rest/*) echo staff-api.ts ;;
    *) echo approval-api.ts ;;
  esac
}
specs=(adapters/*/openapi.yaml courier/*/openapi.yaml gateway/rest/openapi.yaml)
for spec in "${specs[@]}"; do
  dir=$(dirname "$spec")
  run "openapi-typescript $spec" \
    npx --no-install openapi-typescript "$spec" --output "$out/$dir/generated/$(generated_name "$spec")"
done

# --- 2. compare with the working tree -------------------------------------------------------------
# Every folder this script owns, whether it exists in the fresh output, the working tree, or both.
roots=(protos/gen)
for d in adapters/*/generated courier/*/generated gateway/rest/generated "$out"/adapters/*/generated "$out"/courier/*/generated "$out"/gateway/rest/generated; do
  d=${d#"$out"/}
  [[ " ${roots[*]} " == *" $d "* ]] || roots+=("$d")
done
list_files() { # list_files <base>: relative paths of all files under the owned folders
  local base=$1 r
  for r in "${roots[@]}"; do
    [[ -d "$base/$r" ]] && (cd "$base" && find "$r" -type f)
  done
  return 0
}
changed=() added=() stale=()
while IFS= read -r f; do
  if [[ ! -e "$f" ]]; then
    added+=("$f")
  elif ! cmp -s "$out/$f" "$f"; then
    changed+=("$f")
  fi
done < <(list_files "$out" | LC_ALL=C sort -u)
while IFS= read -r f; do
  [[ -e "$out/$f" ]] || stale+=("$f")
done < <(list_files . | LC_ALL=C sort -u)

total=$((${#changed[@]} + ${#added[@]} + ${#stale[@]}))
generated=$(list_files "$out" | wc -l | tr -d ' ')

if [[ $mode == check ]]; then
  if ((total == 0)); then
    say "generated code is up to date ($generated files: protos/gen, ${#specs[@]} OpenAPI spec(s))"
    exit 0
  fi
  {
    echo "gen: generated code is out of date: run npm run gen"
    for f in "${changed[@]}"; do echo "  differs:   $f"; done
    for f in "${added[@]}"; do echo "  missing:   $f"; done
    for f in "${stale[@]}"; do echo "  stale:     $f  (no longer generated)"; done
    for f in "${changed[@]}"; do diff -u --label "$f (working tree)" --label "$f (fresh)" "$f" "$out/$f" | head -n 20 | sed 's/^/    /' || true; done
  } >&2
  exit 1
fi

# --- 3. write: bring the working tree in line -----------------------------------------------------
for f in "${changed[@]}" "${added[@]}"; do
  mkdir -p "$(dirname "$f")"
  cp "$out/$f" "$f"
done
for f in "${stale[@]}"; do
  rm -f "$f"
done
for r in "${roots[@]}"; do # drop folders left empty by removed files
  [[ -d "$r" ]] && find "$r" -depth -type d -empty -delete
done
if ((total == 0)); then
  say "generated code already up to date ($generated files)"
else
  say "updated ${#changed[@]}, added ${#added[@]}, removed ${#stale[@]} generated file(s) ($generated in all)"
fi
