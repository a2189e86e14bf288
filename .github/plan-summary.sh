#!/usr/bin/env bash
# CI: the offline plan of one stack, compared with the base branch's plan when there is one
# (base/plan/<stack>, from the pull-request workflow), printed as Markdown into the log and the
# job summary. Exits with the plan's status (1 on a mandatory policy violation, 2 on a config error).
set -euo pipefail
stack=$1
compare=()
if [ -f "base/plan/${stack}/resources.json" ]; then
    compare=(--compare "base/plan/${stack}")
fi
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
npm run --silent plan -- --stack "$stack" "${compare[@]}" --format markdown | tee -a "$summary"
