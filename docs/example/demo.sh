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
chmod 600 .env* project/.env*
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

# The project's manifest (docs/example/project/stagecraft.yml): environments,
# the keys the app needs (.env.example) and a named sync between environments.
cd "$scratch/project"
# Status 4: staging lacks declared keys (shown, and the demo goes on).
status() { local code=0; "$@" || code=$?; printf '(exit status %s)\n' "$code"; }
status run secrets check
run secrets sync --dry-run
run secrets sync
run secrets check
# A wrong (here empty) source is refused before anything is written: staging
# requires the declared keys it lacks.
: > wrong.env
status run secrets sync --from wrong.env --to staging --prune
# The app runs with an environment's secrets, never written to a file; with
# --mask, a secret it prints is masked.
run run --env staging -- sh -c 'for key in DATABASE_URL STRIPE_API_KEY SESSION_SECRET; do printenv "$key" >/dev/null && echo "the app has $key"; done'
run run --env staging --mask -- sh -c 'echo "connecting to $DATABASE_URL"'
