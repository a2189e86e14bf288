# ---- common: shared by the boot scripts of every cloud ---------------------------------------
# Logging, retries with back-off, the JSON-to-env converter, the env-file writer and the refresh
# timer (the script re-run with `refresh` rewrites the env file when the connection changed).
# Expects from the rendered header: ROOT (filesystem root, empty on a real instance),
# RETRY_INITIAL_DELAY and RETRY_MAX_DELAY (seconds), APP_USER, APP_DIR, ENV_FILE_NAME,
# SERVICE_NAME, the array DB_ENV_FIELDS (NAME=field pairs), the function platform_env (prints the
# env lines known at deploy time) and, for the refresh, REFRESH_COMMAND, REFRESH_UNIT,
# REFRESH_SECONDS, REFRESH_SUBJECT and REFRESH_REASON (the unit files' descriptions).

# log <message...>: one line on stderr (cloud-init keeps it in /var/log/cloud-init-output.log).
log() {
    printf '%s webapp-boot: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# die <message...>: logs an ERROR line and ends the script with status 1.
die() {
    log "ERROR: $*"
    exit 1
}

# require_commands <name...>: fails clearly when the image lacks a tool the script needs.
require_commands() {
    local name
    for name in "$@"; do
        command -v "$name" >/dev/null 2>&1 || die "required command not found on the image: ${name}"
    done
}

# retry <attempts> <command...>: runs the command until it succeeds, at most <attempts> times,
# sleeping RETRY_INITIAL_DELAY seconds after the first failure and doubling up to RETRY_MAX_DELAY.
# The command's stdout passes through; only the command's name is logged, never its output.
retry() {
    local attempts=$1 attempt=1 delay=$RETRY_INITIAL_DELAY
    shift
    until "$@"; do
        if [ "$attempt" -ge "$attempts" ]; then
            log "$1 failed ${attempt} times; giving up"
            return 1
        fi
        log "$1 failed (attempt ${attempt} of ${attempts}); retrying in ${delay}s"
        sleep "$delay"
        attempt=$((attempt + 1))
        delay=$((delay * 2))
        if [ "$delay" -gt "$RETRY_MAX_DELAY" ]; then
            delay=$RETRY_MAX_DELAY
        fi
    done
}

# json_to_env <NAME=field...>: reads a JSON object on stdin and prints NAME='value' lines, one per
# pair, in the order given. Fails (naming the field, never the value) when a field is missing or
# empty, or holds a quote or a line break, which the env-file format cannot carry.
json_to_env() {
    python3 -c '
import json
import sys

try:
    document = json.load(sys.stdin)
except ValueError:
    sys.exit("the secret is not a JSON document")
if not isinstance(document, dict):
    sys.exit("the secret is not a JSON object")
for pair in sys.argv[1:]:
    name, field = pair.split("=", 1)
    value = document.get(field)
    if value is None or value == "":
        sys.exit("the secret has no field \"%s\"" % field)
    value = str(value)
    if "\x27" in value or "\n" in value or "\r" in value:
        sys.exit("the secret field \"%s\" contains a quote or a line break" % field)
    print("%s=\x27%s\x27" % (name, value))
' "$@"
}

# write_env_file <path> <owner>: writes stdin to <path> atomically (a temporary file in the same
# directory, renamed into place), mode 0600, owned by <owner> and its primary group. The file never
# exists with other permissions or partial content.
write_env_file() {
    local path=$1 owner=$2 directory temporary
    directory=$(dirname "$path")
    mkdir -p "$directory"
    temporary=$(umask 077 && mktemp "${directory}/.env.XXXXXX") || return 1
    if cat >"$temporary" && chmod 0600 "$temporary" && chown "${owner}:" "$temporary" &&
        mv -f "$temporary" "$path"; then
        return 0
    fi
    rm -f "$temporary"
    return 1
}

# write_file <path> <mode>: writes stdin to <path> with <mode>, creating the directory.
write_file() {
    local path=$1 mode=$2
    mkdir -p "$(dirname "$path")"
    cat >"$path"
    chmod "$mode" "$path"
}

# compose_app_env: prints the application's env file from the platform values (platform_env,
# rendered) and the database fields of the secret JSON on stdin.
compose_app_env() {
    platform_env && json_to_env "${DB_ENV_FIELDS[@]}"
}

# write_app_env <path>: composes the env file (compose_app_env) from the JSON on stdin, then writes
# it as write_env_file does. Nothing is written unless the whole content could be built.
write_app_env() {
    local path=$1 content
    content=$(compose_app_env) || return 1
    printf '%s\n' "$content" | write_env_file "$path" "$APP_USER"
}

# prepare_log_directory <path>: the application's log directory, owned by the app user and readable
# by the log agent.
prepare_log_directory() {
    local path=$1
    mkdir -p "$path"
    chown "${APP_USER}:" "$path"
    chmod 0755 "$path"
}

# refresh_unit_files: writes the service and timer that run this script with `refresh`.
refresh_unit_files() {
    cat <<EOF | write_file "${ROOT}/etc/systemd/system/${REFRESH_UNIT}.service" 0644
[Unit]
Description=Re-read the webapp ${REFRESH_SUBJECT} (${REFRESH_REASON})
After=network-online.target

[Service]
Type=oneshot
ExecStart=${REFRESH_COMMAND} refresh
EOF
    cat <<EOF | write_file "${ROOT}/etc/systemd/system/${REFRESH_UNIT}.timer" 0644
[Unit]
Description=Re-read the webapp ${REFRESH_SUBJECT} every ${REFRESH_SECONDS} s

[Timer]
OnActiveSec=${REFRESH_SECONDS}s
OnUnitActiveSec=${REFRESH_SECONDS}s
RandomizedDelaySec=10s

[Install]
WantedBy=timers.target
EOF
}

# install_refresh: copies this script to REFRESH_COMMAND (mode 0700: it names the secrets), writes
# the service and timer that run it with `refresh` every REFRESH_SECONDS and starts the timer.
install_refresh() {
    write_file "${ROOT}${REFRESH_COMMAND}" 0700 <"$0"
    refresh_unit_files
    systemctl daemon-reload || die "could not reload the systemd units"
    systemctl enable --now "${REFRESH_UNIT}.timer" || die "could not start ${REFRESH_UNIT}.timer"
}

# refresh_env <function>: runs <function>, which prints the database connection's JSON (and ends
# the script when it cannot), composes the env file from it, and only when that differs from the
# current env file rewrites it (write_env_file) and restarts the application if it runs. The
# connection and the content pass through variables and pipes only, never arguments or logs.
refresh_env() {
    local read_connection=$1 env_file="${ROOT}${APP_DIR}/${ENV_FILE_NAME}" connection content current=""
    connection=$("$read_connection") || exit 1
    content=$(printf '%s' "$connection" | compose_app_env) || die "could not compose ${env_file}"
    unset connection
    if [ -f "$env_file" ]; then
        current=$(cat "$env_file")
    fi
    if [ "$content" = "$current" ]; then
        log "the database connection is unchanged"
        return 0
    fi
    printf '%s\n' "$content" | write_env_file "$env_file" "$APP_USER" || die "could not write ${env_file}"
    unset content current
    log "the database connection changed: wrote ${env_file}, restarting ${SERVICE_NAME}.service"
    systemctl try-restart "${SERVICE_NAME}.service" || die "could not restart ${SERVICE_NAME}.service"
}
