#!/usr/bin/env bash
# Installs the Python side of the AWS test bed (moto server, aws CLI, boto3/botocore) from PyPI into a
# cached virtualenv and prints the path of its python. Tests find it through TRAILHOUND_TESTBED_PYTHON.
set -euo pipefail
venv="${TRAILHOUND_TESTBED_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/trailhound/testbed-venv}"
# Bump when the requirement list changes, so a cached venv is rebuilt.
stamp_want="v1 moto[server]==5.* awscli boto3"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp_want" ]; then
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.*' awscli boto3 >&2
  echo "$stamp_want" > "$venv/.stamp"
fi
echo "$venv/bin/python"
