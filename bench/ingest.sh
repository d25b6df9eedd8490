#!/bin/sh
# Ingest figures on the real mail rig (Dovecot + Postfix on loopback), by hand, not CI.
# One run prints:
#   1. a backlog of LOKET_BENCH_MAILS (2,000) small mails: a bare `UID FETCH 1:*
#      BODY.PEEK[]`, `loketd once` with SMTP unreachable (ingest alone) and `loketd once`
#      with SMTP up (ingest + acknowledgement + 2 CSO notifications per mail sent), each
#      as time, mails/s, ratio to the bare fetch and peak RSS; then "the floor": the
#      least any ingest keeping the guarantee does (session and FETCH, mail-parser over
#      each mail, one row each, one file each and one syncfs, the commit, one UID MOVE),
#      timed step by step in the bench's own process, cumulative;
#   2. a 9 MB PDF forwarded to two CSOs: peak RSS and how much the data folder grew;
#   3. time from SMTP send to the acknowledgement in the stakeholder's INBOX with
#      `loketd run` (IDLE), p50 and p99 over LOKET_BENCH_ROUNDS (50) mails.
# Needs root, the mail servers (bash scripts/install-test-deps.sh) and GNU time
# (/usr/bin/time, for the peak RSS of each loketd run). Release build.
# The machine's load is printed before and after: ratios within one run are what count.
set -eu
cd "$(dirname "$0")/.."
echo "load before: $(cat /proc/loadavg)"
cargo test --release -p loketd --test bench_ingest --no-run 2>&1 | tail -1
cargo test --release -p loketd --test bench_ingest -- --ignored --nocapture --test-threads=1 "$@" 2>&1 |
    grep -E '^\||the floor|backlog|9 MB PDF|SMTP send|loketd once said|panicked|test result'
echo "load after: $(cat /proc/loadavg)"
