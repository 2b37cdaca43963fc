#!/usr/bin/env bash
# The whole test suite: installs what the tests need (Python test bed, system tools), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
command -v ssh-keygen >/dev/null || need_apt+=(openssh-client)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v jq >/dev/null || need_apt+=(jq)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi
TRAILHOUND_TESTBED_PYTHON="$(bash scripts/testbed.sh)"
export TRAILHOUND_TESTBED_PYTHON
cargo test --workspace --all-targets --locked --no-fail-fast
cargo test --workspace --doc --locked --no-fail-fast
