# ---- AWS: read the database secret, configure the CloudWatch agent, start the application ------
# Expects from the rendered header: REGION, DB_SECRET_ID, SECRET_ATTEMPTS, APP_USER, APP_DIR,
# ENV_FILE_NAME, SERVICE_NAME, APP_LOG_DIR, CW_AGENT_CONFIG and the functions platform_env and
# cloudwatch_agent_config.

# read_database_secret: prints the secret's JSON document (SecretString) on stdout.
read_database_secret() {
    aws secretsmanager get-secret-value \
        --region "$REGION" \
        --secret-id "$DB_SECRET_ID" \
        --query SecretString \
        --output text
}

main() {
    local env_file="${ROOT}${APP_DIR}/${ENV_FILE_NAME}"
    local agent_config="${ROOT}${CW_AGENT_CONFIG}"
    local secret

    require_commands aws python3 systemctl amazon-cloudwatch-agent-ctl

    log "reading the database secret ${DB_SECRET_ID}"
    secret=$(retry "$SECRET_ATTEMPTS" read_database_secret) ||
        die "could not read the database secret ${DB_SECRET_ID} after ${SECRET_ATTEMPTS} attempts"

    printf '%s' "$secret" | write_app_env "$env_file" || die "could not write ${env_file}"
    unset secret
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
}

main "$@"
