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
# git checks files out readable by everyone; env files holding secrets should not
# be (stagecraft keeps an existing file's mode, and warns when it is open).
chmod 600 .env*
# The scratch copy is a new project each run: give it a write record of its own, or
# the record of the last run would rightly call the reset target a change made there.
export XDG_STATE_HOME="$scratch/.state" XDG_CONFIG_HOME="$scratch/.state"

run() { printf '\n$ stagecraft %s\n' "$*"; "$stagecraft" "$@"; }

run plugins
run secrets providers
run config check
run secrets sync --dry-run
run secrets sync
run secrets sync --check
# Any store can feed any other: copy the staging file into the example
# in-house store of plugins/ (one file per key), then check it is in step.
plugins=$(cd "$here/../../plugins" && pwd)
run --plugins-dir "$plugins" secrets sync --from envfile:.env.staging --to dirstore:secrets.d 'S*' --exclude SESSION_SECRET
run --plugins-dir "$plugins" secrets sync --from envfile:.env.staging --to dirstore:secrets.d 'S*' --exclude SESSION_SECRET --check
