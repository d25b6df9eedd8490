#!/usr/bin/env bash
# The project's one test command: installs the mail servers the daemon's tests need,
# then runs every test of the workspace. Extra arguments go to the test runner,
# e.g. `bash scripts/test.sh -p loketd --test rig`.
#
# With cargo-nextest (on the CI machines) test binaries and tests run in parallel, each
# in its own process (settings: .config/nextest.toml), then the doc tests; without it,
# plain `cargo test` runs everything one binary after another.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --all-targets --no-fail-fast "$@"
    if [[ $# -eq 0 ]]; then
        cargo test --workspace --doc
    fi
else
    exec cargo test --workspace --all-targets "$@"
fi
