#!/usr/bin/env bash
# `beacon-admin --demo` under a real X server (Xvfb): the console starts its private database, opens its
# main window connected to it, and on quitting leaves no server running.
set -euo pipefail
admin=${BEACON_ADMIN:?set by ctest}
pg_bindir=${BEACON_PG_BINDIR:?set by ctest: the PostgreSQL bin folder of the build}
[[ -x "$pg_bindir/pg_ctl" ]] || { echo "FAIL: no pg_ctl in BEACON_PG_BINDIR=$pg_bindir"; exit 1; }
parent=$(mktemp -d /tmp/bgui-XXXXXX)
chmod 755 "$parent" # as root the server runs as postgres, which must be able to walk in
export BEACON_DEMO_DIR="$parent/demo"
export XDG_RUNTIME_DIR="$parent/runtime"
mkdir -m 700 "$XDG_RUNTIME_DIR"
cleanup() {
  if [[ -f "$BEACON_DEMO_DIR/data/postmaster.pid" ]]; then
    if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$pg_bindir/pg_ctl" -D "$BEACON_DEMO_DIR/data" -m immediate stop) || true
    else "$pg_bindir/pg_ctl" -D "$BEACON_DEMO_DIR/data" -m immediate stop || true; fi
  fi
  rm -rf "$parent"
}
trap cleanup EXIT
unset QT_QPA_PLATFORM # a real X server this time, not offscreen

started=$(date +%s.%N)
xvfb-run -a -s "-screen 0 1280x800x24" "$admin" --demo --exit-when-ready >"$parent/out.txt" 2>&1 || {
  echo "FAIL: beacon-admin --demo --exit-when-ready exited $?"; cat "$parent/out.txt"; exit 1; }
finished=$(date +%s.%N)
cat "$parent/out.txt"
grep -q "main window shown" "$parent/out.txt" || { echo "FAIL: the main window was not reported shown"; exit 1; }
[[ ! -f "$BEACON_DEMO_DIR/data/postmaster.pid" ]] || { echo "FAIL: the demo server still runs after quit"; exit 1; }
[[ -f "$BEACON_DEMO_DIR/data/PG_VERSION" ]] || { echo "FAIL: no demo cluster in $BEACON_DEMO_DIR"; exit 1; }
awk -v a="$started" -v b="$finished" \
  'BEGIN { printf "beacon-admin --demo: window shown and quit cleanly in %.1f s (first run, including seeding)\n", b - a }'
echo "1 passed, 0 failed"
