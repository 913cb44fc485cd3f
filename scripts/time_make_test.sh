#!/usr/bin/env bash
# Time `make test` at a commit, in a worktree sharing this checkout's .venv, with PostgreSQL on.
# Usage: scripts/time_make_test.sh COMMIT LABEL  (appends "LABEL rc=N secs=S" to var/timings.txt)
# Run it alone on an idle machine, alternating the commits compared (docs/performance.md).
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tree="$(mktemp -d)/tree"
git -C "$here" worktree add -q -f "$tree" "$1"
ln -s "$here/.venv" "$tree/.venv"
touch "$here/.venv/bin/homeflow"
start=$(date +%s)
(cd "$tree" && HOMEFLOW_TEST_POSTGRES_URL="${HOMEFLOW_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}" \
  PYTHONPATH="$tree/src" make test > "$tree.log" 2>&1)
rc=$?
mkdir -p "$here/var"
echo "$2 rc=$rc secs=$(( $(date +%s) - start ))" >> "$here/var/timings.txt"
git -C "$here" worktree remove -f "$tree"
