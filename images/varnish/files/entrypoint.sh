#!/bin/sh
# Runs varnishd in the foreground. Extra arguments (e.g. -p param=value) are appended.
set -eu

SECRET=/etc/varnish/secret
if [ ! -s "$SECRET" ]; then
  # In a subshell: varnishd itself needs the default umask for its working directory.
  (
    umask 077
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SECRET.tmp"
  )
  mv "$SECRET.tmp" "$SECRET"
fi
chown root:root "$SECRET"
chmod 0600 "$SECRET"

exec varnishd -F -a :80 -T 127.0.0.1:6082 -S "$SECRET" -f /etc/varnish/boot.vcl \
  -s "${TUTTI_VARNISH_STORAGE:-malloc,128m}" "$@"
