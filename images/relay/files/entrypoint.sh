#!/bin/bash
# Configures the route from the environment, then runs Postfix in the foreground.
#   TUTTI_RELAY_ROUTE     mailbox (default): keep every message in /var/mail/tutti/Maildir
#                         direct: deliver to the recipients' MX
#                         smarthost: relay everything through TUTTI_RELAY_SMARTHOST
#   TUTTI_RELAY_SMARTHOST [host]:port
#   TUTTI_RELAY_TLS       starttls (required), tls (implicit, e.g. port 465) or none
#   TUTTI_RELAY_AUTH      yes: log in with /run/secrets/tutti/smarthost_credentials (user:password)
#   TUTTI_RELAY_HOSTNAME  name in greetings and bounces
set -euo pipefail

CREDENTIALS=/run/secrets/tutti/smarthost_credentials
fail() {
  echo "tutti-relay: $*" >&2
  exit 1
}

route=${TUTTI_RELAY_ROUTE:-mailbox}
postconf -e "myhostname=${TUTTI_RELAY_HOSTNAME:-$(hostname)}" relayhost= virtual_alias_maps= \
  smtp_sasl_auth_enable=no smtp_sasl_password_maps= smtp_tls_wrappermode=no smtp_tls_security_level=may
# Debian runs the services chrooted; a container is jail enough, and the chroot lacks resolv.conf.
postconf -F '*/*/chroot = n'

case $route in
  mailbox)
    # Every recipient becomes the local user tutti; the original one is kept in X-Original-To.
    postconf -e 'virtual_alias_maps=static:tutti@localhost'
    ;;
  direct) ;;
  smarthost)
    [ -n "${TUTTI_RELAY_SMARTHOST:-}" ] || fail "TUTTI_RELAY_ROUTE=smarthost needs TUTTI_RELAY_SMARTHOST=[host]:port"
    postconf -e "relayhost=$TUTTI_RELAY_SMARTHOST"
    case ${TUTTI_RELAY_TLS:-starttls} in
      starttls) postconf -e smtp_tls_security_level=encrypt ;;
      tls) postconf -e smtp_tls_security_level=encrypt smtp_tls_wrappermode=yes ;;
      none) postconf -e smtp_tls_security_level=none ;;
      *) fail "TUTTI_RELAY_TLS must be starttls, tls or none" ;;
    esac
    if [ "${TUTTI_RELAY_AUTH:-no}" = yes ]; then
      [ -r "$CREDENTIALS" ] || fail "$CREDENTIALS is missing; mount the smarthost credentials (user:password) there read-only"
      line=$(head -n 1 "$CREDENTIALS" | tr -d '\r')
      [[ $line == *:* ]] || fail "$CREDENTIALS must hold user:password on its first line"
      # Read by Postfix at process start, as root; never on argv or in the environment.
      (
        umask 077
        printf '%s %s\n' "$TUTTI_RELAY_SMARTHOST" "$line" >/etc/postfix/sasl_passwd
      )
      postconf -e smtp_sasl_auth_enable=yes smtp_sasl_password_maps=texthash:/etc/postfix/sasl_passwd \
        smtp_sasl_security_options=noanonymous smtp_sasl_tls_security_options=noanonymous
    fi
    ;;
  *) fail "TUTTI_RELAY_ROUTE must be mailbox, direct or smarthost (got \"$route\")" ;;
esac

install -d -o tutti -g tutti -m 0750 /var/mail/tutti
# The spool may come from an older container's volume.
postfix set-permissions >/dev/null 2>&1 || true
postfix check
exec postfix start-fg
