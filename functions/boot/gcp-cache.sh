# ---- GCP, with the cache on: the cache's AUTH string and CA beside the database connection -----
# Expects from the rendered header: CACHE_SECRET_ID (the secret holding the AUTH string alone),
# CACHE_CA_FILE and the function cache_ca_certificate; read_secret_response and secret_payload come
# from gcp.sh (defined before anything runs).

# read_cache_secret_response: Secret Manager's answer for the AUTH string's latest version.
read_cache_secret_response() {
    local DB_SECRET_ID=$CACHE_SECRET_ID
    read_secret_response
}

# compose_app_env (common.sh's, redefined): writes the cache's CA certificate (public, mode 0644),
# reads the AUTH string from its secret, and prints the env file: the platform values, the
# database fields of the connection on stdin and CACHE_AUTH_TOKEN. The AUTH string passes through
# pipes only, never an argument.
compose_app_env() {
    local connection response
    connection=$(cat)
    cache_ca_certificate | write_file "${ROOT}${CACHE_CA_FILE}" 0644 ||
        die "could not write the cache CA certificate ${CACHE_CA_FILE}"
    response=$(retry "$SECRET_ATTEMPTS" read_cache_secret_response) ||
        die "could not read the cache AUTH string ${CACHE_SECRET_ID} after ${SECRET_ATTEMPTS} attempts"
    platform_env && printf '%s' "$connection" | json_to_env "${DB_ENV_FIELDS[@]}" &&
        printf '%s' "$response" | secret_payload |
        python3 -c 'import json, sys; print(json.dumps({"cacheAuthToken": sys.stdin.read()}))' |
            json_to_env "CACHE_AUTH_TOKEN=cacheAuthToken"
}
