#!/bin/sh
# Keep MiniCRM clients current from any CI system: the steps of docs/github-workflow.yml.
# Run it in the repository that holds minicrm-codegen.toml, with each system's API key in the
# variable its api-key-env names. Changes end up on the branch minicrm-schema-update, pushed to
# origin, with the drift report as commit message body; open the merge request from there.
set -eu
report="${TMPDIR:-/tmp}/minicrm-drift.md"

minicrm-codegen diff --live --format markdown --fail-on never > "$report"
minicrm-codegen pull --quiet
minicrm-codegen generate --bump
minicrm-codegen generate --check

if [ -z "$(git status --porcelain)" ]; then
    echo "no schema changes"
    exit 0
fi
git checkout -B minicrm-schema-update
git add -A
{ echo "Regenerate MiniCRM clients from their current schemas"; echo; cat "$report"; } |
    git commit --quiet --file=-
git push --quiet --force origin minicrm-schema-update
