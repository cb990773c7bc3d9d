#!/usr/bin/env bash
# The flake check: runs the whole suite N times in CI mode, with a CPU-heavy process beside it
# for every second run (half of them), and stops at the first failure, saying which run failed
# and keeping its log. Usage: test/repeat.sh [runs, default 10]
set -u
runs=${1:-10}
cd "$(dirname "$0")/.."
burner=
stop_burner() {
  if [ -n "$burner" ]; then kill "$burner" 2>/dev/null; wait "$burner" 2>/dev/null; burner=; fi
}
trap stop_burner EXIT INT TERM
for i in $(seq 1 "$runs"); do
  load="no load"
  if [ $((i % 2)) -eq 0 ]; then
    node -e 'for (;;) {}' &
    burner=$!
    load="a CPU burner beside it"
  fi
  log=$(mktemp "${TMPDIR:-/tmp}/tollgate-run-$i-XXXX.log")
  started=$(date +%s)
  CI=true npm test >"$log" 2>&1
  rc=$?
  stop_burner
  echo "run $i/$runs ($load): $(tail -n 1 "$log") in $(($(date +%s) - started)) s"
  if [ "$rc" -ne 0 ]; then
    echo "run $i of $runs FAILED ($load); log: $log"
    grep -E 'FAIL|×|Error' "$log" | head -n 40
    exit 1
  fi
  rm -f "$log"
done
echo "all $runs runs passed"
