#!/bin/sh
# Ingest figures on the real mail rig (Dovecot + Postfix on loopback), by hand, not CI:
#   1. mails per second for `loketd once` on a backlog of LOKET_BENCH_MAILS (2,000)
#      beside a plain IMAP fetch of the same mail and the fetch pass alone;
#   2. time from SMTP send to the acknowledgement in the stakeholder's INBOX with
#      `loketd run` (IDLE), median over LOKET_BENCH_ROUNDS (20) mails.
# Needs root and the mail servers (bash scripts/install-test-deps.sh). Release build.
set -eu
cd "$(dirname "$0")/.."
cargo test --release -p loketd --test bench_ingest -- --ignored --nocapture --test-threads=1 "$@" 2>&1 |
    grep -E '(backlog|plain UID|fetch pass|loketd once|SMTP send).*: |panicked|test result'
