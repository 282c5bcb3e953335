#!/usr/bin/env bash
# The RPM as cpack makes it, read back with rpm -qpR: the run-time pieces rpm's library scan cannot see
# (the QPSQL plugin, the SVG plugins, the platform plugins, the keychain, libpq) must be declared, and so
# must the libraries it does see. The RPM cannot be installed on this Debian machine; this is the check
# that it would ask for the right things. Usage: rpm_requires.sh BUILD_DIR CPACK VERSION
set -euo pipefail
build_dir=$1 cpack=$2 version=$3

command -v rpm >/dev/null || { echo "rpm_requires: install the rpm package (or leave it out: ctest -LE packaging)" >&2; exit 1; }
out=$build_dir/packages-rpm
rm -rf "$out"
"$cpack" -G RPM -B "$out" --config "$build_dir/CPackConfig.cmake" >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
rpm_file=$(find "$out" -maxdepth 1 -name "beacon-admin-$version-*.rpm" -print -quit)
[[ -n "$rpm_file" ]] || { echo "rpm_requires: no beacon-admin-$version-*.rpm in $out" >&2; exit 1; }
echo "rpm_requires: $(basename "$rpm_file") ($(stat -c %s "$rpm_file") bytes)"

requires=$(rpm -qpR "$rpm_file")
echo "$requires"
missing=()
for needed in qt6-qtbase-postgresql qt6-qtbase-gui qt6-qtsvg qtkeychain-qt6 libpq \
              'libQt6Widgets.so.6()(64bit)' 'libQt6Sql.so.6()(64bit)' 'libpq.so.5()(64bit)'; do
  grep -qxF "$needed" <<<"$requires" || missing+=("$needed")
done
if ((${#missing[@]})); then
  echo "rpm_requires: the RPM does not require: ${missing[*]}" >&2
  exit 1
fi
[[ $(rpm -qp --queryformat '%{VERSION}' "$rpm_file") == "$version" ]] || { echo "rpm_requires: wrong version" >&2; exit 1; }
echo "rpm_requires: every run-time dependency is declared"
