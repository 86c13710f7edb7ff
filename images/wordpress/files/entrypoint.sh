#!/bin/bash
# Checks the site's settings and secrets, prepares the wp-content volume, then runs Apache
# in the foreground.
set -euo pipefail

SECRETS=/run/secrets/tutti
CONTENT=/var/lib/wordpress/wp-content
PRISTINE=/usr/local/share/tutti/wp-content
BUNDLED=/usr/share/wordpress/wp-content

fail() {
  echo "tutti-wordpress: $*" >&2
  exit 1
}

for name in TUTTI_DB_HOST TUTTI_DB_NAME TUTTI_DB_USER TUTTI_SITE_URL; do
  [ -n "${!name:-}" ] || fail "environment variable $name is not set; pass it with docker run -e $name=..."
done
for file in db_password wp_salts.php; do
  [ -f "$SECRETS/$file" ] ||
    fail "$SECRETS/$file is missing; mount the site's secrets directory read-only at $SECRETS"
  setpriv --reuid=www-data --regid=www-data --init-groups test -r "$SECRETS/$file" ||
    fail "$SECRETS/$file is not readable by www-data (uid 33); make it mode 0444, or 0440 with group 33"
done

# A new volume gets the package's wp-content: directories and links to the bundled themes
# and plugins. Every start links what this image bundles, so a newer image brings its new
# default theme to existing sites. Links are added, never removed (unlike Debian's wp-setup):
# during a blue/green upgrade the old and the new container share this volume.
if [ -z "$(find "$CONTENT" -mindepth 1 -maxdepth 1 -print -quit)" ]; then
  cp -a "$PRISTINE/." "$CONTENT/"
fi
for sub in themes plugins languages; do
  for src in "$BUNDLED/$sub"/*; do
    [ -e "$src" ] || continue
    mkdir -p "$CONTENT/$sub"
    [ -e "$CONTENT/$sub/${src##*/}" ] || ln -sfn "$src" "$CONTENT/$sub/${src##*/}"
  done
done
for dir in "$CONTENT" "$CONTENT/uploads" "$CONTENT/upgrade" "$CONTENT/plugins" "$CONTENT/themes" "$CONTENT/languages"; do
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
