#!/usr/bin/env bash
# `make demo`: run Stagecraft on a scratch copy of the example project, so
# the bundled files stay as committed and every run shows the same changes.
set -euo pipefail
stagecraft=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(cd "$here/../.." && pwd)/.demo
rm -rf "$scratch"
mkdir -p "$scratch"
cp -a "$here/." "$scratch/"
rm -f "$scratch/demo.sh"
cd "$scratch"

run() { printf '\n$ stagecraft %s\n' "$*"; "$stagecraft" "$@"; }

run plugins
run secrets providers
run config check
run secrets sync --dry-run
run secrets sync
run secrets sync --check
