#!/bin/sh
# Desk command figures (#antrean, #cari, #riwayat) on a store of LOKET_BENCH_TICKETS
# (100,000) tickets with three mails each, by hand, not CI. No mail servers needed.
# Usage: bench/desk.sh [--release]
set -eu
cd "$(dirname "$0")/.."
cargo test "$@" -p loketd --test bench_desk -- --ignored --nocapture --test-threads=1 2>&1 |
    grep -E 'filled|^#|panicked|test result'
