#!/usr/bin/env bash
# The project's one test command: installs the mail servers the daemon's tests need,
# then runs every test of the workspace. Arguments narrow the run instead,
# e.g. `bash scripts/test.sh -p loketd --test workflow`.
#
# With cargo-nextest (on the CI machines) test binaries and tests run in parallel, each
# in its own process (settings: .config/nextest.toml), then the doc tests; without it,
# plain `cargo test` runs everything one binary after another.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
if [[ $# -eq 0 ]]; then
    set -- --workspace --all-targets
    doc_tests=yes
else
    doc_tests=no
fi
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --no-fail-fast "$@"
    if [[ $doc_tests == yes ]]; then
        cargo test --workspace --doc
    fi
else
    exec cargo test "$@"
fi
