#!/usr/bin/env bash
# shellcheck disable=SC2317 # the gate_* functions are called by name ("gate_$gate")
# The security gates, the same locally (npm run gates) as in the pull-request workflow:
#   secrets    gitleaks over the whole history of the checked-out commit (every commit it comes from,
#              not other branches), with .gitleaks.toml (stand-in values of tests)
#   audit      npm audit --omit=dev --audit-level=high, for the program and the policy pack
#   workflows  actionlint over .github/workflows, with shellcheck for the run: scripts
#   policy     the offline plan of every stack file, which fails on a mandatory policy violation
# Usage: bash tools/gates/gates.sh [--only secrets,audit,workflows,policy]
# Each gate prints PASS or FAIL with what to do; the exit status is 1 when any gate failed.
# $WEBAPP_GATES_BIN names a folder with gitleaks and actionlint instead of building them.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
all=(secrets audit workflows policy)
selected=("${all[@]}")

while [ $# -gt 0 ]; do
    case $1 in
    --only)
        [ $# -ge 2 ] || { echo "gates: --only needs a list, e.g. --only secrets,audit" >&2; exit 2; }
        IFS=, read -r -a selected <<<"$2"
        shift 2
        ;;
    *)
        echo "gates: unknown argument $1 (usage: npm run gates [-- --only ${all[*]// /,}])" >&2
        exit 2
        ;;
    esac
done
for gate in "${selected[@]}"; do
    case " ${all[*]} " in
    *" $gate "*) ;;
    *) echo "gates: no gate named \"$gate\" (gates: ${all[*]})" >&2; exit 2 ;;
    esac
done

tools() {
    if [ -n "${WEBAPP_GATES_BIN:-}" ]; then
        echo "$WEBAPP_GATES_BIN"
    else
        bash "$here/setup.sh"
    fi
}

gate_secrets() {
    local bin rc
    bin=$(tools) || return 1
    # --log-opts=HEAD: the commits HEAD comes from (gitleaks' default, --all, also reads every other branch).
    "$bin/gitleaks" git --no-banner --redact --config "$repo/.gitleaks.toml" --log-opts=HEAD --exit-code 3 "$repo"
    rc=$?
    case $rc in
    0) return 0 ;;
    3)
        echo "secrets: gitleaks found secrets in the git history (listed above, redacted). Remove them from the history" \
            "and rotate them; a value that can never be a real credential (a test's stand-in) goes in .gitleaks.toml."
        ;;
    *) echo "secrets: gitleaks could not scan the repository (exit $rc, see above)." ;;
    esac
    return 1
}

# npm audit for one folder; the JSON report tells vulnerabilities apart from an audit service that did not answer.
audit_folder() {
    local dir=$1 report
    report=$(cd "$dir" && npm audit --omit=dev --audit-level=high --json 2>/dev/null)
    # shellcheck disable=SC2016 # JavaScript, not shell
    node -e '
        const [dir, text] = process.argv.slice(1);
        let report;
        try { report = JSON.parse(text); } catch { report = undefined; }
        if (!report || !report.metadata) {
            const why = !report ? "no JSON report" : (report.error && (report.error.summary || report.error.code)) || report.message || "no advisories";
            console.log(`audit: npm audit could not get advisories for ${dir} (${why}): the registry audit endpoint must answer for this gate.`);
            process.exit(1);
        }
        const v = (report.metadata && report.metadata.vulnerabilities) || {};
        const serious = (v.high || 0) + (v.critical || 0);
        if (serious > 0) {
            const names = Object.entries(report.vulnerabilities || {})
                .filter(([, x]) => x.severity === "high" || x.severity === "critical")
                .map(([name, x]) => `${name} (${x.severity}${x.fixAvailable ? ", fix available" : ""})`);
            console.log(`audit: ${serious} high or critical vulnerabilities in the runtime dependencies of ${dir}: ${names.join(", ")}. Run npm audit in ${dir} for the advisories and update or replace the packages.`);
            process.exit(1);
        }
        console.log(`audit: ${dir}: no high or critical vulnerability in runtime dependencies (${v.moderate || 0} moderate, ${v.low || 0} low).`);
    ' "$dir" "$report"
}

gate_audit() {
    local failed=0 dir
    for dir in . policy; do
        audit_folder "$dir" || failed=1
    done
    return "$failed"
}

gate_workflows() {
    local bin shellcheck rc
    bin=$(tools) || return 1
    if ! shellcheck=$(command -v shellcheck); then
        echo "workflows: shellcheck is needed to lint the run: scripts; on Debian: apt-get install shellcheck"
        return 1
    fi
    (cd "$repo" && "$bin/actionlint" -shellcheck "$shellcheck")
    rc=$?
    case $rc in
    0) return 0 ;;
    1) echo "workflows: actionlint found problems in .github/workflows (listed above)." ;;
    *) echo "workflows: actionlint could not run (exit $rc, see above)." ;;
    esac
    return 1
}

# The offline plan of each stack file; a failing plan's output is shown, a passing one's is not.
gate_policy() {
    local failed=0 file stack out
    for file in "$repo"/Pulumi.*.yaml; do
        stack=$(basename "$file" .yaml)
        stack=${stack#Pulumi.}
        if ! out=$(cd "$repo" && npm run --silent plan -- --stack "$stack" 2>&1); then
            printf '%s\n' "$out"
            echo "policy: the offline plan of $stack failed or has a mandatory policy violation (see above; npm run plan -- --stack $stack)."
            failed=1
        fi
    done
    return "$failed"
}

results=()
status=0
for gate in "${selected[@]}"; do
    echo "==> gate: $gate"
    start=$SECONDS
    if "gate_$gate"; then
        results+=("PASS $gate ($((SECONDS - start)) s)")
    else
        results+=("FAIL $gate ($((SECONDS - start)) s)")
        status=1
    fi
done
printf '%s\n' "${results[@]}"
exit $status
