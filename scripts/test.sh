#!/usr/bin/env bash
# Installs what the tests need (as root), then runs every test and prints a one-line summary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

apt_packages=(openssh-server openssh-client chromium python3-torch python3-sklearn fonts-dejavu-core fonts-nanum procps)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: missing packages. Run as root first:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
for tool in dotnet node npm; do
  command -v "$tool" >/dev/null || { echo "test.sh: '$tool' is required on PATH" >&2; exit 1; }
done

results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
set +e
# Benchmarks print numbers and take minutes; scripts/bench.sh runs them.
dotnet test GreenConsole.sln -c Release --filter "Category!=Benchmark" --logger "trx;LogFileName=tests.trx" \
  --logger "console;verbosity=minimal" --results-directory "$results" "$@"
rc=$?
set -e

# dotnet test's own summary is not a line CI recognises, so restate the counters from the TRX file.
trx=$(find "$results" -name '*.trx' | head -n 1)
if [ -n "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$(get passed); failed=$(get failed); total=$(get total); executed=$(get executed)
  skipped=$(( ${total:-0} - ${executed:-0} ))
  echo "Tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
else
  echo "test.sh: no test results were written" >&2
  [ $rc -eq 0 ] && rc=1
fi
exit $rc
