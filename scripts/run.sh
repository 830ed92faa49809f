#!/usr/bin/env bash
# Starts the GreenConsole dashboard with the embedded defaults (SQLite file, shipped carbon traces, demo lab),
# or runs a CLI verb:  scripts/run.sh import-csv FILE [--dry-run] [--json]
set -euo pipefail
cd "$(dirname "$0")/.."

project=GreenConsole.Web
config=${GC_CONFIGURATION:-Release}
app="$project/bin/$config/net10.0/GreenConsole.Web"
stamp="$project/obj/$config/.gc-run-built"

build() {
  # A CLI verb must not spend seconds in dotnet build when nothing changed: build only when a source, project or
  # settings file is newer than the last build this script made.
  if [ -x "$app" ] && [ -f "$stamp" ] && [ -z "$(find GreenConsole.Core GreenConsole.Agents GreenConsole.Web \
      Directory.Build.props Directory.Packages.props appsettings.json data/carbon \
      \( -path '*/bin' -o -path '*/obj' -o -path '*/node_modules' -o -path '*/wwwroot/lib' \) -prune -o \
      -type f -newer "$stamp" -print -quit)" ]; then
    return 0
  fi
  # Quiet, so that stdout carries only the app's own output (a CLI verb's JSON lines or tables).
  dotnet build "$project" -c "$config" -nologo -v q "-clp:ErrorsOnly;NoSummary" >&2
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
}

# The app runs from the repository root, so relative settings (data/greenconsole.db, .lab/) resolve here.
if [ $# -gt 0 ]; then
  build
  exec "$app" "$@"
fi

url=${GC_URLS:-http://127.0.0.1:5080}

if command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ]; then
  if bash scripts/lab.sh up; then
    echo "run.sh: demo lab is up; its clouds are imported from .lab/ssh_data.csv at start-up"
  else
    echo "run.sh: the demo lab could not start (see above); the dashboard starts without it" >&2
  fi
else
  echo "run.sh: sshd is not installed, so no demo lab. Install it with: sudo apt-get install -y openssh-server" >&2
fi

build
echo "run.sh: GreenConsole is starting on $url"
exec "$app" --urls "$url"
