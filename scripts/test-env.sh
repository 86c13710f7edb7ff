# The test platform: its own prefix, ports, namespace and data dir, so it runs beside `npm run up`.
# shellcheck shell=bash
export TUTTI_PREFIX=tuttitest
export TUTTI_HOST_NAME=testhost
export TUTTI_DATA_DIR=${TUTTI_TEST_DATA_DIR:-/var/tmp/tutti-test}
export TEMPORAL_ADDRESS=127.0.0.1:7243
export TUTTI_TEMPORAL_UI_PORT=8243
export TEMPORAL_NAMESPACE=tutti-test
export TUTTI_MINIO_PORT=9010
export TUTTI_DB_PORT=3316
export TUTTI_HTTP_PORT=8090
export TUTTI_IDENTITY=jest
unset TUTTI_S3_ENDPOINT TUTTI_S3_BUCKET TUTTI_S3_SECRET_ACCESS_KEY_FILE
