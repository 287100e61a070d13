#!/usr/bin/env bash
# cmake --install puts the binary, the shipped config and the workflows where docs/OPERATIONS.md
# ("Installing") says, and the installed binary finds that config when started from another
# folder with no --config: /healthz answers and a generation works, its file in the installed
# data folder. Also stages a /usr install under DESTDIR and checks its FHS data path.
#   tests/install/test_install.sh BUILD_DIR [SOURCE_DIR]   (run by ctest as install_from_anywhere)
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
cmake=${CMAKE:-cmake}
work=$(mktemp -d /tmp/mediagen-install.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL $*" >&2; [ -f "$work/server.log" ] && cat "$work/server.log" >&2; exit 1; }

prefix="$work/prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" || fail "cmake --install: $(cat "$work/install.log")"
for f in bin/mediagen share/mediagen/server.json share/mediagen/workflows.json \
         share/mediagen/workflows/builtin-tiny.json share/doc/mediagen/LICENSE; do
  [ -e "$prefix/$f" ] || fail "$f is not installed"
done
grep -q "\"dataDir\": \"$prefix/var/lib/mediagen\"" "$prefix/share/mediagen/server.json" ||
  fail "the installed server.json does not keep its data in $prefix/var/lib/mediagen"

version=$(sed -n 's/^project(mediagen VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ "$("$prefix/bin/mediagen" --version)" = "mediagen $version" ] || fail "--version does not print $version"
"$prefix/bin/mediagen" --help | grep -q -- "--data-dir=PATH" || fail "--help does not list the flags"

# Another folder, no config in it, no --config: the binary must find share/mediagen/server.json.
mkdir "$work/elsewhere"
cd "$work/elsewhere"
"$prefix/bin/mediagen" --port=0 --builtin-workers=1 2>"$work/server.log" &
pid=$!
port=""
for _ in $(seq 300); do
  port=$(sed -n 's/.*listening.*port=\([0-9]*\).*/\1/p' "$work/server.log")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "the installed mediagen exited at start"
  sleep 0.05
done
[ -n "$port" ] || fail "the installed mediagen did not start listening"
grep -q "data=$prefix/var/lib/mediagen" "$work/server.log" || fail "the server does not use the installed config's data folder"
url="http://127.0.0.1:$port"
[ "$(curl -s "$url/healthz")" = '{"status":"ok"}' ] || fail "/healthz"
answer=$(curl -s -w '\n%{http_code}' -X POST "$url/generate/sync" -H 'Content-Type: application/json' \
              -d '{"workflow": "Builtin Tiny", "prompt": "installed", "seed": 1}')
[ "$(tail -n1 <<<"$answer")" = 200 ] || fail "sync generation: $answer"
file=$(sed -n 's/.*"imageUrl":"\/media\/\([^"]*\)".*/\1/p' <<<"$answer")
[ -s "$prefix/var/lib/mediagen/storage/$file" ] || fail "the output $file is not in the installed data folder"
[ -n "$(ls -A "$work/elsewhere")" ] && fail "the server wrote into its working folder: $(ls -A "$work/elsewhere")"
kill -TERM "$pid"
wait "$pid" || fail "the installed mediagen did not exit 0 on SIGTERM"
pid=""

# A staged /usr install (packaging): FHS paths, data in /var/lib/mediagen.
DESTDIR="$work/stage" "$cmake" --install "$build" --prefix /usr >/dev/null
[ -x "$work/stage/usr/bin/mediagen" ] || fail "DESTDIR install has no usr/bin/mediagen"
grep -q '"dataDir": "/var/lib/mediagen"' "$work/stage/usr/share/mediagen/server.json" ||
  fail "a /usr install does not keep its data in /var/lib/mediagen"
echo "install holds: $prefix and a DESTDIR /usr stage"
