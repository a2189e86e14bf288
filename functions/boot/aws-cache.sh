# ---- AWS, with the cache on: merge the cache's AUTH token into the application's env ----------
# Expects from the rendered header: CACHE_SECRET_FIELD (the connection document's field that names
# the secret holding the AUTH token) and DB_ENV_FIELDS with the cache's pairs; read_secret,
# json_field and merge_documents come from aws.sh (defined before anything runs).
#
# compose_app_env (common.sh's, redefined): the connection on stdin names the token's secret; the
# token is read from there at every compose (boot and each credentials refresh), merged with the
# connection, and the env file gets the cache's fields besides the database's. The token passes
# through stdin only, never an argument.
compose_app_env() {
    local connection token_id token
    connection=$(cat)
    token_id=$(printf '%s' "$connection" | json_field "$CACHE_SECRET_FIELD") ||
        die "the database secret ${DB_SECRET_ID} names no cache token secret (${CACHE_SECRET_FIELD})"
    token=$(retry "$SECRET_ATTEMPTS" read_secret "$token_id") ||
        die "could not read the cache token ${token_id} after ${SECRET_ATTEMPTS} attempts"
    platform_env && printf '%s\n%s\n' "$connection" "$token" | merge_documents | json_to_env "${DB_ENV_FIELDS[@]}"
}
