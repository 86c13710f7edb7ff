#!/bin/bash
# Checks the site's settings and secrets, prepares the data volume, then runs Apache in the
# foreground.
set -euo pipefail

SECRETS=/run/secrets/tutti
DATA=/var/www/tutti-data

fail() {
  echo "tutti-drupal: $*" >&2
  exit 1
}

for name in TUTTI_DB_HOST TUTTI_DB_NAME TUTTI_DB_USER TUTTI_SITE_URL TUTTI_SITE_DOMAINS; do
  [ -n "${!name:-}" ] || fail "environment variable $name is not set; pass it with docker run -e $name=..."
done
for file in db_password drupal_hash_salt; do
  [ -f "$SECRETS/$file" ] ||
    fail "$SECRETS/$file is missing; mount the site's secrets directory read-only at $SECRETS"
  setpriv --reuid=www-data --regid=www-data --init-groups test -r "$SECRETS/$file" ||
    fail "$SECRETS/$file is not readable by www-data (uid 33); make it mode 0444, or 0440 with group 33"
done

# settings.php names these folders; they must exist before `drush site:install` (see settings.php).
for dir in "$DATA" "$DATA/files" "$DATA/private" "$DATA/config" "$DATA/config/sync"; do
  [ -d "$dir" ] || mkdir -p "$dir"
  [ "$(stat -c %U "$dir")" = www-data ] || chown www-data:www-data "$dir"
done

set +u # Debian's envvars reads unset variables
# shellcheck source=/dev/null
. /etc/apache2/envvars
set -u
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
# A pid file left by the previous run of this container would stop Apache from starting.
rm -f "$APACHE_PID_FILE"
exec apache2 -D FOREGROUND "$@"
