# ---- AWS: read the database secrets, configure the CloudWatch agent, start the application -----
# Expects from the rendered header: REGION, DB_SECRET_ID, SECRET_ATTEMPTS, APP_USER, APP_DIR,
# ENV_FILE_NAME, SERVICE_NAME, APP_LOG_DIR, CW_AGENT_CONFIG, CREDENTIALS_FIELD, REFRESH_COMMAND,
# REFRESH_UNIT, REFRESH_SECONDS, REFRESH_SUBJECT, REFRESH_REASON and the functions platform_env and
# cloudwatch_agent_config.
#
# The database's password is RDS's own (RDS keeps it in a secret it rotates). Two secrets make the
# connection: the connection document (DB_SECRET_ID: engine, host, port, dbname, and the ARN of
# the RDS-managed secret in CREDENTIALS_FIELD) and the RDS-managed secret (username, password).
# Run with the argument `refresh` (the timer this script installs does, every REFRESH_SECONDS), the
# script reads both again and restarts the application only when the connection changed (after a
# rotation), so the env file never holds a password RDS has rotated away for long.

# read_secret <secret id>: prints the secret's current value (SecretString) on stdout.
read_secret() {
    aws secretsmanager get-secret-value \
        --region "$REGION" \
        --secret-id "$1" \
        --query SecretString \
        --output text
}

# read_database_secret: prints the connection document.
read_database_secret() {
    read_secret "$DB_SECRET_ID"
}

# json_field <field>: prints one field of the JSON object on stdin (json_to_env's checks: the field
# must be there and not empty; a failure names the field, never a value).
json_field() {
    local line
    line=$(json_to_env "FIELD=$1") || return 1
    line=${line#FIELD=\'}
    printf '%s\n' "${line%\'}"
}

# merge_documents: reads JSON objects one after another on stdin and prints one object holding
# every field (a later document's field wins). Secrets pass through stdin only, never arguments.
merge_documents() {
    python3 -c '
import json
import sys

text = sys.stdin.read()
decoder = json.JSONDecoder()
merged = {}
position = 0
while True:
    while position < len(text) and text[position].isspace():
        position += 1
    if position == len(text):
        break
    try:
        document, position = decoder.raw_decode(text, position)
    except ValueError:
        sys.exit("the secret is not a JSON document")
    if not isinstance(document, dict):
        sys.exit("the secret is not a JSON object")
    merged.update(document)
print(json.dumps(merged))
'
}

# database_connection: prints the connection document merged with the RDS-managed credentials.
database_connection() {
    local document credentials_id credentials
    document=$(retry "$SECRET_ATTEMPTS" read_database_secret) ||
        die "could not read the database secret ${DB_SECRET_ID} after ${SECRET_ATTEMPTS} attempts"
    credentials_id=$(printf '%s' "$document" | json_field "$CREDENTIALS_FIELD") ||
        die "the database secret ${DB_SECRET_ID} names no credentials secret"
    credentials=$(retry "$SECRET_ATTEMPTS" read_secret "$credentials_id") ||
        die "could not read the database credentials ${credentials_id} after ${SECRET_ATTEMPTS} attempts"
    printf '%s\n%s\n' "$document" "$credentials" | merge_documents
}

# refresh: rewrites the env file and restarts the application when the connection changed.
refresh() {
    refresh_env database_connection
}

main() {
    local env_file="${ROOT}${APP_DIR}/${ENV_FILE_NAME}"
    local agent_config="${ROOT}${CW_AGENT_CONFIG}"
    local connection

    require_commands aws python3 systemctl amazon-cloudwatch-agent-ctl

    log "reading the database secret ${DB_SECRET_ID} and the credentials it names"
    connection=$(database_connection) || exit 1

    printf '%s' "$connection" | write_app_env "$env_file" || die "could not write ${env_file}"
    unset connection
    log "wrote ${env_file} (mode 0600, owner ${APP_USER})"

    prepare_log_directory "${ROOT}${APP_LOG_DIR}"
    cloudwatch_agent_config | write_file "$agent_config" 0644
    log "wrote the CloudWatch agent config ${agent_config}"
    if ! amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:${agent_config}"; then
        # The application still serves without its metrics and logs; the agent's own log says why.
        log "WARNING: the CloudWatch agent did not start"
    fi

    systemctl enable "${SERVICE_NAME}.service" || die "could not enable ${SERVICE_NAME}.service"
    systemctl restart "${SERVICE_NAME}.service" || die "could not start ${SERVICE_NAME}.service"
    log "started ${SERVICE_NAME}.service"

    install_refresh
    log "the credentials are re-read every ${REFRESH_SECONDS} s (${REFRESH_UNIT}.timer)"
}

if [ "${1:-}" = refresh ]; then
    require_commands aws python3 systemctl
    refresh
else
    main "$@"
fi
