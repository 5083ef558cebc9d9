#!/usr/bin/env bash
# Installs what is needed, builds swiscsi twice (plain, and with AddressSanitizer +
# UndefinedBehaviorSanitizer) and runs every test against each build: cmocka unit tests through
# meson, then the pytest integration suite against the built binaries.
#   usage: scripts/test.sh            (as root on Debian 12)
#   SWISCSI_BUILDS="plain" scripts/test.sh   to run one build only
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

builds=${SWISCSI_BUILDS:-"plain asan"}
status=0

# Fuzzing, bounded: each harness runs FUZZ_SECONDS on a scratch copy of its committed corpus
# (new finds stay out of the tree), with ASan+UBSan. A crash fails the run.
if [ "${SWISCSI_FUZZ:-1}" = 1 ]; then
  dir=build-test-fuzz
  [ -f "$dir/build.ninja" ] || CC=clang meson setup "$dir" -Dfuzzing=true \
    -Db_sanitize=address,undefined -Db_lundef=false
  ninja -C "$dir"
  fuzz_one() {   # harness: its run, on a scratch copy of its corpus; exit status = libFuzzer's
    local harness=$1 scratch rc=0
    scratch=$(mktemp -d)
    cp tests/fuzz/corpus/$harness/* "$scratch"/
    "$dir/tests/fuzz/fuzz-$harness" -max_total_time="${FUZZ_SECONDS:-20}" \
      -artifact_prefix="$dir/crash-$harness-" "$scratch" > "$dir/fuzz-$harness.log" 2>&1 || rc=$?
    rm -rf "$scratch"
    return $rc
  }
  # Two at a time: each harness is one single-threaded process, so a pair keeps both cores
  # busy and every harness still gets its FUZZ_SECONDS of a core.
  harnesses=(pdu text login sendtargets ctl)
  for ((i = 0; i < ${#harnesses[@]}; i += 2)); do
    pair=("${harnesses[@]:i:2}") fpids=()
    for harness in "${pair[@]}"; do
      echo "=== fuzz-$harness for ${FUZZ_SECONDS:-20} s"
      fuzz_one "$harness" & fpids+=($!)
    done
    for j in "${!pair[@]}"; do
      harness=${pair[j]}
      rc=0
      wait "${fpids[j]}" || rc=$?
      if [ "$rc" != 0 ]; then   # above 128: killed by signal rc-128, which leaves no report
        echo "=== fuzz-$harness failed: exit status $rc"
        tail -40 "$dir/fuzz-$harness.log"
        status=1
      fi
      grep -E '^Done' "$dir/fuzz-$harness.log" || true
    done
  done
fi
# Both builds first, with their unit tests; then their integration suites side by side: most of
# an integration test is waiting (on targets, timeouts, the network), so two suites share two
# cores well. Every test has its own rundir, database, ports and namespaces, so the two never
# meet. SWISCSI_SERIAL=1 runs them one after the other.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1   # a finding fails its test
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
first=${builds%% *}
pids=()
for kind in $builds; do
  dir="build-test-$kind"
  case "$kind" in
    plain) opts=() ;;
    asan)  opts=(-Db_sanitize=address,undefined -Db_lundef=false) ;;
    *) echo "unknown build kind $kind" >&2; exit 2 ;;
  esac
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "${opts[@]}"
  fi
  ninja -C "$dir"
  echo "=== $kind: unit tests"
  meson test -C "$dir" --print-errorlogs || status=1
done
integration() {   # kind: the suite against that build, its output in build-test-KIND/integration.log
  local kind=$1 dir="build-test-$1" once=()
  # The Debian packaging test builds the packages from the source tree itself, whatever
  # SWISCSI_BUILD says, so it runs with the first build only.
  [ "$kind" = "$first" ] || once=(--ignore=tests/integration/test_debian_package.py)
  # --durations: the slowest tests in the log, to keep the suite within its time
  SWISCSI_BUILD="$PWD/$dir" pytest-3 -q -p no:cacheprovider --durations=10 "${once[@]}" tests/integration
}
for kind in $builds; do
  if [ "${SWISCSI_SERIAL:-0}" = 1 ]; then
    echo "=== $kind: integration tests"
    integration "$kind" || status=1
  else
    integration "$kind" > "build-test-$kind/integration.log" 2>&1 &
    pids+=("$kind:$!")
  fi
done
for entry in "${pids[@]}"; do
  kind=${entry%%:*}
  wait "${entry#*:}" || status=1
  echo "=== $kind: integration tests"
  cat "build-test-$kind/integration.log"
done

exit $status
