# ---- GCP: read the database secret, configure the Ops Agent, start the application ------------
# Expects from the rendered header: DB_SECRET_ID, SECRET_ATTEMPTS, METADATA_TOKEN_URL,
# SECRET_MANAGER_URL, APP_USER, APP_DIR, ENV_FILE_NAME, SERVICE_NAME, APP_LOG_DIR, OPS_AGENT_CONFIG,
# OPS_AGENT_SERVICE, STATSD_EXPORTER_SERVICE, REFRESH_COMMAND, REFRESH_UNIT, REFRESH_SECONDS,
# REFRESH_SUBJECT, REFRESH_REASON and the functions platform_env and ops_agent_config.
#
# The script reads the secret's latest version, so a new connection document (a new password or
# database address) does not change the instance template and rolls no instance. Run with the
# argument `refresh` (the timer this script installs does, every REFRESH_SECONDS), the script reads
# the latest version again and rewrites the env file and restarts the application only when the
# connection changed, so a new document reaches every instance within about that time.

# access_token: prints an access token of the instance's service account (from the metadata server).
access_token() {
    curl --silent --show-error --fail --max-time 5 \
        --header 'Metadata-Flavor: Google' \
        "$METADATA_TOKEN_URL" | python3 -c '
import json
import sys

try:
    token = json.load(sys.stdin)["access_token"]
except (ValueError, KeyError, TypeError):
    sys.exit("the metadata server returned no access token")
print(token)
'
}

# read_secret_response: prints Secret Manager's JSON answer for the secret's latest version. The
# token travels on curl's stdin, never on a command line (where other processes could read it).
read_secret_response() {
    local token
    token=$(access_token) || return 1
    printf 'Authorization: Bearer %s\n' "$token" |
        curl --silent --show-error --fail --max-time 10 --header @- \
            "${SECRET_MANAGER_URL}/v1/${DB_SECRET_ID}/versions/latest:access"
}

# secret_payload: reads Secret Manager's answer on stdin and prints the decoded payload.
secret_payload() {
    python3 -c '
import base64
import json
import sys

try:
    data = json.load(sys.stdin)["payload"]["data"]
    sys.stdout.write(base64.b64decode(data, validate=True).decode("utf-8"))
except (ValueError, KeyError, TypeError):
    sys.exit("the Secret Manager answer has no readable payload")
'
}

# database_connection: prints the connection document (the secret's latest version, read with
# retries); ends the script when it cannot be read or decoded.
database_connection() {
    local response
    response=$(retry "$SECRET_ATTEMPTS" read_secret_response) ||
        die "could not read the database secret ${DB_SECRET_ID} after ${SECRET_ATTEMPTS} attempts"
    printf '%s' "$response" | secret_payload || die "could not decode the database secret ${DB_SECRET_ID}"
}

# refresh: rewrites the env file and restarts the application when the connection changed.
refresh() {
    refresh_env database_connection
}

# start_statsd_exporter: starts the image's StatsD exporter, or warns that StatsD metrics are dropped.
start_statsd_exporter() {
    local unit="${STATSD_EXPORTER_SERVICE}.service"
    if ! systemctl cat "$unit" >/dev/null 2>&1; then
        log "WARNING: ${unit} is not on the image; the app's StatsD metrics are dropped"
        return 0
    fi
    if systemctl enable "$unit" && systemctl restart "$unit"; then
        log "started ${unit}"
    else
        log "WARNING: ${unit} did not start; the app's StatsD metrics are dropped"
    fi
}

main() {
    local env_file="${ROOT}${APP_DIR}/${ENV_FILE_NAME}"
    local agent_config="${ROOT}${OPS_AGENT_CONFIG}"
    local secret

    require_commands curl python3 systemctl

    log "reading the database secret ${DB_SECRET_ID}"
    secret=$(database_connection) || exit 1

    printf '%s' "$secret" | write_app_env "$env_file" || die "could not write ${env_file}"
    unset secret
    log "wrote ${env_file} (mode 0600, owner ${APP_USER})"

    prepare_log_directory "${ROOT}${APP_LOG_DIR}"
    ops_agent_config | write_file "$agent_config" 0644
    log "wrote the Ops Agent config ${agent_config}"
    start_statsd_exporter
    if ! systemctl restart "${OPS_AGENT_SERVICE}.service"; then
        # The application still serves without its metrics and logs; the agent's own log says why.
        log "WARNING: the Ops Agent did not restart"
    fi

    systemctl enable "${SERVICE_NAME}.service" || die "could not enable ${SERVICE_NAME}.service"
    systemctl restart "${SERVICE_NAME}.service" || die "could not start ${SERVICE_NAME}.service"
    log "started ${SERVICE_NAME}.service"

    install_refresh
    log "the database connection is re-read every ${REFRESH_SECONDS} s (${REFRESH_UNIT}.timer)"
}

if [ "${1:-}" = refresh ]; then
    require_commands curl python3 systemctl
    refresh
else
    main "$@"
fi
