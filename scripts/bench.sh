#!/usr/bin/env bash
# GreenConsole benchmarks.
#
#   scripts/bench.sh telemetry [--clouds 5,50,200] [--cycles 3] [--ingest 50000]
#       Starts its own SSH lab (scripts/lab.sh, private LAB_DIR and ports), registers many cloud ids over the lab's
#       sshd endpoints, times hardware poll cycles (wall time, controller CPU) and SQLite ingest, then stops the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

case "${1:-}" in
  telemetry)
    shift
    export LAB_DIR="${LAB_DIR:-$(mktemp -d /tmp/gc-bench-lab-XXXXXX)}"
    export LAB_PORT_BASE="${LAB_PORT_BASE:-$(( 40000 + RANDOM % 20000 ))}"
    export LAB_USER_PREFIX="${LAB_USER_PREFIX:-gcb$(printf '%04d' $((RANDOM % 10000)))-}"
    cleanup() { "$root/scripts/lab.sh" down >/dev/null 2>&1 || true; rm -rf "$LAB_DIR"; }
    trap cleanup EXIT
    "$root/scripts/lab.sh" up >/dev/null
    dotnet build GreenConsole.Web -c Release -v quiet -nologo >/dev/null
    dotnet GreenConsole.Web/bin/Release/net9.0/linux-x64/GreenConsole.Web.dll bench telemetry --lab-csv "$LAB_DIR/ssh_data.csv" "$@"
    ;;
  *)
    echo "usage: scripts/bench.sh telemetry [--clouds 5,50,200] [--cycles 3] [--ingest 50000]" >&2
    exit 2
    ;;
esac
