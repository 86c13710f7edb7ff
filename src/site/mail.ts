/**
 * The host's mail relay: where site mail goes after it leaves the site. Pure; the container is
 * made by src/platform/relay.ts from images/relay (Postfix), which reads the variables below.
 */

export type SmarthostTls = 'starttls' | 'tls' | 'none';

/**
 * `mailbox`: every message is kept in the relay's own mailbox (nothing leaves; the default, and
 * what tests read). `direct`: delivery to each recipient domain's MX. `smarthost`: everything is
 * handed to one SMTP server, with credentials read from a secret file.
 */
export type MailRoute =
  | { kind: 'mailbox' }
  | { kind: 'direct' }
  | { kind: 'smarthost'; host: string; port: number; tls: SmarthostTls; credentialsFile: string | null };

/** Where the relay container finds the smarthost credentials (`user:password`, one line), mounted read-only. */
export const RELAY_CREDENTIALS_PATH = '/run/secrets/tutti/smarthost_credentials';
/** The relay's mailbox in `mailbox` mode: a Maildir, one file per message under `new/`. */
export const RELAY_MAILDIR = '/var/mail/tutti/Maildir';
/** The name site containers send to (SMTP on port 25), an alias on each site network. */
export const RELAY_ALIAS = 'mail';

const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `TUTTI_SMARTHOST`: empty or `mailbox`, `direct`, or `host[:port]` (port 587 by default, 465 with TLS). */
export function parseMailRoute(smarthost: string, tls: SmarthostTls, credentialsFile: string | null): MailRoute | string {
  const value = smarthost.trim().toLowerCase();
  if (value === '' || value === 'mailbox') return { kind: 'mailbox' };
  if (value === 'direct') return { kind: 'direct' };
  const m = /^([^:]+)(?::([0-9]{1,5}))?$/.exec(value);
  if (!m || !HOST.test(m[1]!)) return 'must be mailbox, direct, or a smarthost as host[:port] such as smtp.example.org:587';
  const port = m[2] ? Number(m[2]) : tls === 'tls' ? 465 : 587;
  if (port < 1 || port > 65535) return 'port must be between 1 and 65535';
  return { kind: 'smarthost', host: m[1]!, port, tls, credentialsFile };
}

/** The relay container's environment: the route, never the credentials (those are a mounted file). */
export function relayEnv(route: MailRoute, hostname: string): string[] {
  const env = [`TUTTI_RELAY_ROUTE=${route.kind}`, `TUTTI_RELAY_HOSTNAME=${hostname}`];
  if (route.kind === 'smarthost') {
    env.push(`TUTTI_RELAY_SMARTHOST=[${route.host}]:${route.port}`, `TUTTI_RELAY_TLS=${route.tls}`, `TUTTI_RELAY_AUTH=${route.credentialsFile ? 'yes' : 'no'}`);
  }
  return env;
}

/** One line for `platform up`. */
export function describeRoute(route: MailRoute): string {
  switch (route.kind) {
    case 'mailbox':
      return `mail is kept in the relay's mailbox (${RELAY_MAILDIR}); set TUTTI_SMARTHOST to deliver it`;
    case 'direct':
      return 'mail is delivered directly to recipient domains (MX)';
    case 'smarthost':
      return `mail is relayed through ${route.host}:${route.port} (${route.tls}${route.credentialsFile ? ', authenticated' : ''})`;
  }
}
