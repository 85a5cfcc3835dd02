#!/usr/bin/env bash
# Offline govulncheck: build the Go vulnerability database from the golang.org/x/vulndb
# module (its cmd/gendb over the module's data in a throwaway git repository) and run
# govulncheck against it. The built database is cached per vulndb version.
# Exit status: non-zero when a vulnerability is found in code that is called.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VULNDB_VERSION=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}
GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.10.0}
cache=${PEJL_VULNDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pejl-vulndb}/$VULNDB_VERSION
db=$cache/db

if [ ! -f "$db/index/db.json" ]; then
  src=$($GO mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src/data" ] || { echo "vulncheck: could not download golang.org/x/vulndb@$VULNDB_VERSION" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/repo"
  cp -r "$src/data" "$tmp/repo/"
  chmod -R u+w "$tmp/repo"
  git -C "$tmp/repo" init -q
  git -C "$tmp/repo" add -A
  git -C "$tmp/repo" -c user.name=vulndb -c user.email=vulndb@localhost -c commit.gpgsign=false commit -q -m "vulndb $VULNDB_VERSION"
  (cd "$src" && GOFLAGS=-mod=mod $GO build -o "$tmp/gendb" ./cmd/gendb)
  "$tmp/gendb" -repo "$tmp/repo" -out "$tmp/out"
  mkdir -p "$cache"
  rm -rf "$db"
  mv "$tmp/out" "$db"
fi

$GO run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" -db "file://$(cd "$db" && pwd)" ./...
