# ---- GCP, with IAM database authentication: the Cloud SQL Auth Proxy before the application -----
# Expects from the rendered header: CLOUD_SQL_PROXY_SERVICE, CLOUD_SQL_PROXY_UNIT and the function
# cloud_sql_proxy_unit (the unit, with the instance's connection name and port).

# start_sql_proxy: installs the proxy's unit and (re)starts it; the image must hold the binary.
start_sql_proxy() {
    cloud_sql_proxy_unit | write_file "${ROOT}${CLOUD_SQL_PROXY_UNIT}" 0644 ||
        die "could not write ${CLOUD_SQL_PROXY_UNIT}"
    systemctl daemon-reload || die "could not reload systemd for ${CLOUD_SQL_PROXY_SERVICE}.service"
    systemctl enable "${CLOUD_SQL_PROXY_SERVICE}.service" ||
        die "could not enable ${CLOUD_SQL_PROXY_SERVICE}.service"
    systemctl restart "${CLOUD_SQL_PROXY_SERVICE}.service" ||
        die "could not start ${CLOUD_SQL_PROXY_SERVICE}.service (is cloud-sql-proxy on the image?)"
    log "started ${CLOUD_SQL_PROXY_SERVICE}.service (IAM database authentication)"
}

# write_app_env (common.sh's, redefined): writes the env file as common.sh does, then starts the
# proxy, so it listens before the application starts.
write_app_env() {
    local path=$1 content
    content=$(compose_app_env) || return 1
    printf '%s\n' "$content" | write_env_file "$path" "$APP_USER" || return 1
    start_sql_proxy
}
