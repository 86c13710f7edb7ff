#!/bin/sh
# Lists the certificates the control plane wrote (one per site) after a self-signed default,
# answered to clients whose SNI names no site, then runs haproxy in the foreground.
set -eu
DEFAULT=/run/haproxy/default.pem
if [ ! -s "$DEFAULT" ]; then
  (
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj /CN=tutti-default -keyout /run/haproxy/default.key -out /run/haproxy/default.crt 2>/dev/null
    cat /run/haproxy/default.crt /run/haproxy/default.key >"$DEFAULT"
    rm -f /run/haproxy/default.key
  )
fi
echo "$DEFAULT" >/run/haproxy/crt-list
for f in /etc/haproxy/certs/*.pem; do
  [ -s "$f" ] && echo "$f" >>/run/haproxy/crt-list
done
exec haproxy -W -db -f /etc/haproxy/haproxy.cfg "$@"
