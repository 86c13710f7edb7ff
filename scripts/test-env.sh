# The test platform: its own prefix, ports, namespace and data dir, so it runs beside `npm run up`.
# TUTTI_TEST_SLOT=N (1-9) gives a second engineer or CI job a platform of its own (ports + N*100).
# shellcheck shell=bash
slot=${TUTTI_TEST_SLOT:-0}
case "$slot" in [0-9]) ;; *) echo "TUTTI_TEST_SLOT must be 0-9" >&2; return 1 ;; esac
off=$((slot * 100))
export TUTTI_PREFIX=tuttitest${slot#0}
export TUTTI_HOST_NAME=testhost
export TUTTI_DATA_DIR=${TUTTI_TEST_DATA_DIR:-/var/tmp/tutti-test${slot#0}}
export TEMPORAL_ADDRESS=127.0.0.1:$((7243 + off))
export TUTTI_TEMPORAL_UI_PORT=$((8243 + off))
export TEMPORAL_NAMESPACE=tutti-test
export TUTTI_MINIO_PORT=$((9010 + off))
export TUTTI_DB_PORT=$((3316 + off))
export TUTTI_HTTP_PORT=$((8090 + off))
# No Prometheus endpoint for the tests' workers: crash tests start a worker the moment they killed
# one, and a port still held by the dying one would fail the start. test/integration/metrics.test.ts
# gives its worker a free port of its own.
export TUTTI_METRICS_ADDRESS=off
export TUTTI_IDENTITY=jest
unset TUTTI_S3_ENDPOINT TUTTI_S3_BUCKET TUTTI_S3_SECRET_ACCESS_KEY_FILE
export TUTTI_HTTPS_PORT=$((8453 + off))
export TUTTI_PEBBLE_PORT=$((14000 + off))
unset TUTTI_ACME_DIRECTORY_URL TUTTI_ACME_CA_FILE TUTTI_PEBBLE
