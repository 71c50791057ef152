#!/usr/bin/env bash
# Create bench/.venv-others with the open-source reply/signature parsers that
# bench/eval_signatures.py runs beside syncd (pinned in requirements.txt).
# They live in their own venv so that syncd's environment never sees talon's
# scikit-learn/lxml stack. Usage: bash bench/others/setup.sh [PYTHON]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/../.venv-others"
python="${1:-python3}"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --requirement "$here/requirements.txt"
"$venv/bin/python" -m pip check
echo "ready: $(cd "$venv" && pwd)"
