#!/usr/bin/env bash
# GreenConsole benchmarks; each case runs the GreenConsole.Bench program (the app's own services, measured).
#
#   scripts/bench.sh migration [--sizes 1MB,100MB,1GB] [--from KR] [--to CA-ON] [--step-delay-ms 100] [--own-job true|false] [--csv FILE]
#       Migration downtime (stop request -> first new progress line on the target, real controller and driver) per
#       checkpoint size vs. a plain copy of as many bytes between the same two lab clouds.
#   scripts/bench.sh ssh [--iterations 20] [--csv FILE]
#       First command over a new master connection and multiplexed commands, per lab cloud.
#   scripts/bench.sh csv [--rows 1000]
#       CSV import into a fresh database, then re-import.
#   scripts/bench.sh telemetry [--clouds 5,50,200] [--cycles 3] [--ingest 50000]
#       Hardware poll cycles over many cloud ids (lab endpoints) and SQLite ingest.
#   scripts/bench.sh ui
#       Issue #5: p50/p95/p99/max server time of Blazor page interactions with 5 browser sessions scripted for 60 s
#       (GC_UI_BENCH_SECONDS overrides) and 50 clouds polled every 5 s (GC_UI_BENCH_CLOUDS overrides); goal p95 < 50 ms. Runs the test class
#       GreenConsole.Tests/Browser/BrowserUiBenchmark (its own SSH lab and app process) and prints the numbers.
#
# Without --csv, migration, ssh and telemetry start their own SSH lab (scripts/lab.sh: private LAB_DIR, ports and
# user names) and stop it afterwards, so they never disturb a lab that is already running.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

private_lab() {
  export LAB_DIR="${LAB_DIR:-$(mktemp -d /tmp/gc-bench-lab-XXXXXX)}"
  export LAB_PORT_BASE="${LAB_PORT_BASE:-$(( 40000 + RANDOM % 20000 ))}"
  export LAB_USER_PREFIX="${LAB_USER_PREFIX:-gcb$(printf '%04d' $((RANDOM % 10000)))-}"
  # Key files may only come from the configured key folders; the private lab keeps its key in its own folder.
  export Ssh__KeyDirectories="${Ssh__KeyDirectories:-data/ssh/keys:.lab/keys}:$LAB_DIR/keys"
  cleanup() { "$root/scripts/lab.sh" down >/dev/null 2>&1 || true; rm -rf "$LAB_DIR"; }
  trap cleanup EXIT
  "$root/scripts/lab.sh" up >/dev/null
}

bench_app() {
  # The benchmarks live in their own project; it runs from the repository root, as the app does.
  dotnet build "$root/GreenConsole.Bench" -c Release -nologo -v q "-clp:ErrorsOnly;NoSummary" >&2
  "$root/GreenConsole.Bench/bin/Release/net10.0/GreenConsole.Bench" "$@"
}

has_csv() {
  local a
  for a in "$@"; do
    [ "$a" = "--csv" ] && return 0
  done
  return 1
}

case "${1:-}" in
  migration|ssh)
    if has_csv "${@:2}"; then
      bench_app "$1" "${@:2}"
    else
      private_lab
      bench_app "$1" --csv "$LAB_DIR/ssh_data.csv" "${@:2}"
    fi
    ;;
  csv)
    bench_app csv "${@:2}"
    ;;
  telemetry)
    private_lab
    bench_app telemetry --lab-csv "$LAB_DIR/ssh_data.csv" "${@:2}"
    ;;
  ui)
    dotnet test GreenConsole.Tests -c Release --filter "Category=Benchmark" --logger "console;verbosity=detailed" "${@:2}"
    ;;
  *)
    echo "usage: scripts/bench.sh migration|ssh|csv|telemetry|ui [options]  (see the comment at the top of this script)" >&2
    exit 2
    ;;
esac
