#!/bin/sh
# Run one libFuzzer target for a bounded time: new inputs go to a scratch corpus in the build
# directory, the committed seeds in tests/fuzz/corpus/ are only read.
#   run.sh TARGET SECONDS SEED_DIR SCRATCH_DIR
set -e
mkdir -p "$4"
exec "$1" -max_total_time="$2" -rss_limit_mb=2048 -timeout=10 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 "$4" "$3"
