#!/usr/bin/env bash
# The project's one test command: installs the mail servers the daemon's tests need,
# then runs every test of the workspace. Extra arguments go to `cargo test`,
# e.g. `bash scripts/test.sh -p loketd --test rig`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
exec cargo test --workspace --all-targets "$@"
