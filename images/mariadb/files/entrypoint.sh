#!/bin/bash
# Starts mariadbd in the foreground. On an empty datadir it first initialises it, with the
# root password read from a file (never from env or argv).
set -euo pipefail

DATADIR=/var/lib/mysql
SECRET=/run/secrets/tutti/mariadb_root_password
INIT_SOCKET=/run/mysqld/init.sock
# Present while an initialisation runs; found at start it means the last one died.
INIT_MARKER="$DATADIR/.tutti-init-incomplete"

log() { echo "tutti-mariadb: $*" >&2; }
fail() { log "$*"; exit 1; }

datadir_is_empty() {
  [ -z "$(find "$DATADIR" -mindepth 1 -maxdepth 1 ! -name lost+found -print -quit)" ]
}

sql_string() {
  local s="${1//\\/\\\\}"
  printf "'%s'" "${s//\'/\\\'}"
}

wait_for_init_server() {
  local pid="$1" _
  for _ in $(seq 1 60); do
    mariadb-admin --no-defaults --socket="$INIT_SOCKET" -uroot ping >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || fail "temporary server for initialisation exited; see the log above"
    sleep 1
  done
  fail "temporary server for initialisation did not answer within 60 s"
}

initialise() {
  [ -f "$SECRET" ] || fail "$SECRET is missing; mount a directory holding mariadb_root_password read-only at /run/secrets/tutti"
  local password
  password="$(cat "$SECRET")"
  [ -n "$password" ] || fail "$SECRET is empty; write the root password into it"

  log "empty datadir: initialising $DATADIR"
  touch "$INIT_MARKER"
  chown mysql:mysql "$INIT_MARKER"
  mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db >/dev/null

  mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket="$INIT_SOCKET" \
    --pid-file=/run/mysqld/init.pid &
  local pid=$!
  wait_for_init_server "$pid"

  local pw
  pw="$(sql_string "$password")"
  # Fed on stdin so that the password never appears in a process's argv.
  printf '%s\n' \
    "DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');" \
    "DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';" \
    "FLUSH PRIVILEGES;" \
    "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD($pw);" \
    "CREATE USER 'root'@'%' IDENTIFIED BY $pw;" \
    "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;" \
    "DROP DATABASE IF EXISTS test;" \
    "DELETE FROM mysql.db WHERE Db = 'test' OR Db LIKE 'test\\_%';" \
    "FLUSH PRIVILEGES;" |
    mariadb --no-defaults --socket="$INIT_SOCKET" -uroot --batch ||
    fail "setting the root password failed; remove the volume and start again"

  mariadb-admin --no-defaults --socket="$INIT_SOCKET" -uroot shutdown
  wait "$pid" || true
  rm -f "$INIT_MARKER"
  log "initialised; root may log in from any host with the password from $SECRET"
}

install -d -o mysql -g mysql -m 0755 /run/mysqld
[ -d "$DATADIR" ] || fail "$DATADIR does not exist; mount a volume there"
if [ -e "$INIT_MARKER" ]; then
  log "an earlier initialisation did not finish; starting it over"
  find "$DATADIR" -mindepth 1 -delete
fi
[ "$(stat -c %U "$DATADIR")" = mysql ] || chown mysql:mysql "$DATADIR"
if datadir_is_empty; then
  initialise
fi
exec mariadbd --user=mysql "$@"
