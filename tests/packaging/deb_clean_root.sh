#!/usr/bin/env bash
# packaging_deb_clean_root: builds the project's DEB with CPack and proves it on a clean Debian 12 root:
# apt resolves its Depends from Debian alone, both executables run from the installed package (the GUI
# offscreen against the test server, with the packaged beaconctl migrating the database first), and a purge
# leaves no file behind. A chroot, not the host: the host has every -dev package, so it cannot tell us
# whether the package's own Depends are enough.
# Usage: deb_clean_root.sh BINARY_DIR CPACK_COMMAND PROJECT_VERSION TEST_CLUSTER_DIR [CPACK_CONFIG]
# Environment: BEACON_PACKAGING_CACHE (default /var/cache/beacon-admin-tests) keeps the debootstrapped root
# as a tarball and apt's downloaded .debs between runs; BEACON_PACKAGING_REFRESH=1 rebuilds the root.
set -euo pipefail
bindir=${1:?binary dir} cpack=${2:?cpack command} version=${3:?project version} cluster=${4:?cluster dir}
cpack_config=${5:-$bindir/CPackConfig.cmake}
cache=${BEACON_PACKAGING_CACHE:-/var/cache/beacon-admin-tests}
suite=bookworm
t0=$(date +%s.%N)
fail() { echo "FAIL: $*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
cant_run() { fail "$* (or leave this test out with: ctest -LE packaging)"; }

# Cannot run at all: say what is missing. This is a failure, never a skip, so that CI cannot go green
# without having proved the package.
[[ $(id -u) -eq 0 ]] || cant_run "needs root (debootstrap, chroot and mounts)"
for tool in debootstrap chroot dpkg-deb findmnt flock psql tar; do
  command -v "$tool" >/dev/null || cant_run "$tool is missing; install it: apt-get install debootstrap dpkg util-linux postgresql-client tar"
done
[[ -f "$cpack_config" ]] || fail "$cpack_config does not exist: packaging/CMakeLists.txt has no CPack configuration (include(CPack))"
compress=gz ztool=gzip; command -v zstd >/dev/null && compress=zst ztool="zstd -T0 -q"
tarball="$cache/$suite-minbase.tar.$compress"
mkdir -p "$cache/apt-archives/partial" || cant_run "cannot write the cache folder $cache (set BEACON_PACKAGING_CACHE)"

# Everything of this run lives in one temporary folder; the trap unmounts whatever is mounted below it
# (ours, and any debootstrap left after a failure) and only then deletes it, so an interrupted run never
# leaves mounts behind and never deletes through a bind mount into the host.
release() { # DIR: unmount everything below DIR, deepest first, then delete DIR if nothing is mounted there
  local mounts
  for _ in 1 2 3; do
    mounts=$(findmnt -rn -o TARGET | grep -F "$1/" | sort -r || true)
    [[ -z "$mounts" ]] && break
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done <<<"$mounts"
  done
  if findmnt -rn -o TARGET | grep -qF "$1/"; then echo "cleanup: mounts remain below $1; not deleting it" >&2; return 1; fi
  rm -rf "$1"
}
# A run killed outright (ctest's timeout sends SIGKILL) could not run its trap: release its folder now.
for stale in /tmp/beacon-deb-*; do
  if [[ -f "$stale/pid" ]] && ! kill -0 "$(cat "$stale/pid")" 2>/dev/null; then release "$stale" || true; fi
done
work=$(mktemp -d /tmp/beacon-deb-XXXXXX)
chmod 755 "$work"; echo $$ >"$work/pid"
root="$work/root" dbname="" sock="" port=""
cleanup() {
  local rc=$?
  if [[ -n "$dbname" ]]; then
    psql -h "$sock" -p "$port" -U postgres -d postgres -qXc "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  release "$work" || rc=1
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. The package, made exactly as a release is: cpack -G DEB from the build tree.
t=$(date +%s.%N)
rm -f "$bindir"/packages/*.deb
"$cpack" -G DEB -B "$bindir/packages" --config "$cpack_config" >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log"; fail "cpack -G DEB failed"; }
debs=("$bindir"/packages/beacon-admin_*.deb)
[[ ${#debs[@]} -eq 1 && -f "${debs[0]}" ]] || { cat "$work/cpack.log"; ls -l "$bindir/packages"; fail "expected one beacon-admin_*.deb in $bindir/packages"; }
deb=${debs[0]}
[[ $(basename "$deb") == "beacon-admin_${version}_amd64.deb" ]] || fail "package is named $(basename "$deb"), expected beacon-admin_${version}_amd64.deb"
deb_size=$(stat -c %s "$deb")
echo "DEB: $deb ($((deb_size / 1024)) KiB) made in $(elapsed "$t")"
dpkg-deb -f "$deb" Package Version Depends Recommends | sed 's/^/  /'

# 2. The clean root, built once with debootstrap from the mirror this machine uses (the only registry it
# can reach) and cached as a tarball; every run extracts a fresh copy, so no run sees another's leftovers.
sources=$(grep -hvE '^\s*#' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
mirror=$(grep -oE 'https?://[^ ]+/debian/?( |$)' <<<"$sources" | head -n1 | tr -d ' ' || true)
security=$(grep -oE 'https?://[^ ]+/debian-security/?( |$)' <<<"$sources" | head -n1 | tr -d ' ' || true)
mirror=${mirror:-http://deb.debian.org/debian} security=${security:-http://deb.debian.org/debian-security}
t=$(date +%s.%N)
exec 9>"$cache/lock"
flock 9 # two runs on one machine must not build the same tarball at once
if [[ ! -s "$tarball" || ${BEACON_PACKAGING_REFRESH:-0} == 1 ]]; then
  echo "Building the $suite minbase root with debootstrap from $mirror (first run on this machine)"
  mkdir "$work/build"
  debootstrap --variant=minbase "$suite" "$work/build" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 40 "$work/debootstrap.log"; fail "debootstrap failed (log above)"; }
  printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
    "$mirror" "$suite" "$mirror" "$suite" "$security" "$suite" >"$work/build/etc/apt/sources.list"
  # No service may start inside the root (a dependency's postinst would otherwise try).
  printf '#!/bin/sh\nexit 101\n' >"$work/build/usr/sbin/policy-rc.d"; chmod 755 "$work/build/usr/sbin/policy-rc.d"
  rm -rf "$work/build/var/cache/apt/archives"/*.deb
  tar --numeric-owner -C "$work/build" -I "$ztool" -cf "$tarball.tmp" . || fail "could not write $tarball.tmp"
  mv "$tarball.tmp" "$tarball"
  release "$work/build" # never a bare rm -rf: debootstrap may have left /proc or /sys mounted in it
  root_source="built with debootstrap and cached in $(elapsed "$t") (first run)"
else
  root_source="taken from the cache $tarball"
fi
t=$(date +%s.%N)
mkdir "$root"
tar --numeric-owner -C "$root" -I "$ztool" -xpf "$tarball"
flock -u 9
root_source+=", extracted in $(elapsed "$t")"
echo "Clean root: $root_source (mirrors $mirror, $security)"

# What apt and the programs need in a chroot: name resolution, /proc, /dev; apt's downloads go to a
# persistent folder so that the second run downloads nothing; the test server's socket folder appears at
# the same path inside, so the same URI works in and out (a chroot shares the host's network namespace).
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
pidfile="$cluster/data/postmaster.pid"
[[ -f "$pidfile" ]] || fail "the test PostgreSQL server is not running ($pidfile missing); this test needs the pg_server fixture"
port=$(sed -n 4p "$pidfile") sock=$(sed -n 5p "$pidfile")
[[ -S "$sock/.s.PGSQL.$port" ]] || fail "no server socket $sock/.s.PGSQL.$port"
mkdir -p "$root$sock" && mount --bind "$sock" "$root$sock"
inroot() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  DEBIAN_FRONTEND=noninteractive "$@"; }
apt_() { inroot apt-get -q -y -o Dpkg::Use-Pty=0 --no-install-recommends "$@"; }

# 3. Install. Dependencies first, from the package's own Depends (no Recommends: the Depends alone must be
# enough), so that the file list can be taken between them and our package.
t=$(date +%s.%N)
apt_ update >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get update failed inside the root"; }
depends=$(dpkg-deb -f "$deb" Pre-Depends Depends | sed -E 's/^(Pre-)?Depends: *//' | paste -sd, -)
apt_ satisfy "$depends" >"$work/deps.log" 2>&1 || { cat "$work/deps.log"; fail "apt-get satisfy of the Depends failed: $depends"; }
ndeps=$(grep -c '^Setting up ' "$work/deps.log" || true)
snapshot() { (cd "$root" && find . -mindepth 1 \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp \
  -o -path ./var/cache/apt -o -path ./var/lib/apt/lists -o -path ./var/log -o -path ./var/lib/dpkg \
  -o -path ./root -o -path ./run -o -path ".$sock" \) -prune -o -print) |
  sed 's|^\.||' | LC_ALL=C sort; }
snapshot >"$work/before.txt"
cp "$deb" "$root/tmp/" && chmod 644 "$root/tmp/$(basename "$deb")"
apt_ install "./tmp/$(basename "$deb")" >>"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install of the DEB failed"; }
echo "Installed $ndeps dependency packages and the DEB in $(elapsed "$t")"
inroot dpkg -L beacon-admin | LC_ALL=C sort >"$work/package-files.txt"

# 4. The installed programs. The version is the project's; the GUI starts offscreen, connects to a
# database migrated and seeded by the packaged beaconctl, shows its window and quits with 0.
out=$(inroot beaconctl --version) || fail "beaconctl --version failed: $out"
[[ $out == "beaconctl $version "* ]] || fail "beaconctl --version printed \"$out\", expected beaconctl $version"
echo "  $out"
out=$(inroot beacon-admin --version) || fail "beacon-admin --version failed: $out"
[[ $out == "beacon-admin $version" ]] || fail "beacon-admin --version printed \"$out\", expected beacon-admin $version"
echo "  $out"
dbname="pkg_deb_$$"
psql -h "$sock" -p "$port" -U postgres -d postgres -qXc "CREATE DATABASE $dbname" || fail "could not create $dbname on the test server"
uri="postgresql://postgres@${sock//\//%2F}:$port/$dbname?sslmode=disable" # socket folder as encoded host
inroot beaconctl --db "$uri" migrate || fail "the packaged beaconctl could not migrate $uri"
inroot beaconctl --db "$uri" seed --size tiny || fail "the packaged beaconctl could not seed $uri"
t=$(date +%s.%N)
rc=0
mkdir -m 700 "$root/tmp/xdg"
inroot QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=/tmp/xdg timeout 120 beacon-admin --db "$uri" --exit-when-ready \
  >"$work/gui.txt" 2>&1 || rc=$?
sed 's/^/  gui: /' "$work/gui.txt"
if [[ $rc -ne 0 ]] || ! grep -q "main window shown:" "$work/gui.txt"; then
  # Say which piece the package's Depends failed to bring, rather than leave a bare Qt message.
  for f in qt6/plugins/platforms/libqoffscreen.so qt6/plugins/sqldrivers/libqsqlpsql.so libpq.so.5; do
    [[ -e "$root/usr/lib/x86_64-linux-gnu/$f" ]] || echo "missing in the clean root: /usr/lib/x86_64-linux-gnu/$f (package $(dpkg -S "/usr/lib/x86_64-linux-gnu/$f" 2>/dev/null | cut -d: -f1 | sort -u | paste -sd, -) on the host)"
  done
  fail "beacon-admin --db … --exit-when-ready exited $rc without \"main window shown:\""
fi
echo "GUI: main window shown offscreen and quit with 0 in $(elapsed "$t")"
for f in platforms/libqoffscreen.so platforms/libqxcb.so sqldrivers/libqsqlpsql.so imageformats/libqsvg.so; do
  echo "  $f from $(inroot dpkg -S "/usr/lib/x86_64-linux-gnu/qt6/plugins/$f" | cut -d: -f1)"
done
# The plugins a desktop session loads (xcb, SVG) are not run offscreen: at least every library they and the
# executables link must be there.
missing=$(inroot sh -c 'ldd /usr/bin/beacon-admin /usr/bin/beaconctl /usr/lib/x86_64-linux-gnu/qt6/plugins/*/*.so' | grep 'not found' || true)
[[ -z $missing ]] || fail "libraries missing in the clean root: $missing"

# 5. Purge, then nothing of ours may remain: no file of dpkg -L, no new directory, and no new path in the
# whole root that belongs to no remaining package (a file made by a maintainer script or trigger).
t=$(date +%s.%N)
apt_ purge beacon-admin >>"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get purge beacon-admin failed"; }
# shellcheck disable=SC2016 # ${Status} is dpkg-query's, not the shell's
status=$(inroot dpkg-query -W -f='${Status}' beacon-admin 2>/dev/null || true)
[[ -z $status || $status == *not-installed ]] || fail "beacon-admin is not purged: dpkg status \"$status\""
echo "Purged in $(elapsed "$t")"
snapshot >"$work/after.txt"
# Every path a remaining package owns; /bin, /lib … are written via /usr (merged /usr), as find sees them.
cat "$root"/var/lib/dpkg/info/*.list | sed -E 's#^/(bin|sbin|lib|lib32|lib64|libx32)(/|$)#/usr/\1\2#' |
  LC_ALL=C sort -u >"$work/owned.txt"
leftovers=()
while read -r p; do
  [[ -e "$root$p" || -L "$root$p" ]] || continue
  if [[ -d "$root$p" && ! -L "$root$p" ]]; then grep -qxF "$p" "$work/before.txt" && continue; fi
  leftovers+=("$p (from dpkg -L beacon-admin)")
done <"$work/package-files.txt"
while read -r p; do
  grep -qxF "$p" "$work/owned.txt" || leftovers+=("$p (new since the dependencies were installed, owned by no package)")
done < <(LC_ALL=C comm -13 "$work/before.txt" "$work/after.txt")
if ((${#leftovers[@]})); then
  printf '  left behind: %s\n' "${leftovers[@]}"
  fail "the purge left ${#leftovers[@]} path(s) behind"
fi
echo "Purge left nothing behind ($(wc -l <"$work/package-files.txt") packaged paths checked, $(wc -l <"$work/after.txt") paths in the root compared)"

# 6. The numbers.
echo "Root: $root_source; DEB size $deb_size bytes; total $(elapsed "$t0")"
echo "1 passed, 0 failed"
