import { join } from 'node:path';
import { z } from 'zod';

/** HTTPS: the host's TLS terminator, the ACME server certificates come from, and the local Pebble. */
export interface TlsConfig {
  /** Host port the terminator (HAProxy) publishes on 127.0.0.1; 443 in production behind a firewall rule. */
  httpsPort: number;
  terminatorImage: string;
  acme: {
    /** ACME directory URL; null when TUTTI_ACME_DIRECTORY_URL=off (no certificates are requested). */
    directoryUrl: string | null;
    /** Extra CA bundle trusted for the ACME server's own HTTPS (Pebble's listener); undefined: the system's. */
    caFile: string | undefined;
    /** Contact address sent with the ACME account; none when unset. */
    email: string | undefined;
  };
  /** The local Pebble and its DNS server (pebble-challtestsrv), started by `npm run up` when enabled. */
  pebble: { enabled: boolean; port: number; managementPort: number; dnsPort: number; dnsManagementPort: number; dir: string };
  /** Cron expression (UTC) of the `tutti-cert-renewal` Schedule; null when off. */
  renewSchedule: string | null;
}

type Get = (key: string, fallback: string) => string;
type Parse = <T>(key: string, schema: z.ZodType<T>, fallback: string) => T;

export function tlsConfig(get: Get, parse: Parse, schemas: { port: (name: string) => z.ZodType<number>; bool: (name: string) => z.ZodType<boolean>; cron: z.ZodType<string | null> }, dataDir: string): TlsConfig {
  const pebblePort = parse('TUTTI_PEBBLE_PORT', schemas.port('TUTTI_PEBBLE_PORT'), '14000');
  const localDirectory = `https://127.0.0.1:${pebblePort}/dir`;
  const url = z.string().regex(/^(off|https:\/\/[^\s]+)$/, 'must be an https:// ACME directory URL or off');
  const directory = parse('TUTTI_ACME_DIRECTORY_URL', url, localDirectory);
  const dir = join(dataDir, 'pebble');
  const usesLocal = directory === localDirectory;
  return {
    httpsPort: parse('TUTTI_HTTPS_PORT', schemas.port('TUTTI_HTTPS_PORT'), '8443'),
    terminatorImage: get('TUTTI_TERMINATOR_IMAGE', 'tutti/haproxy:bookworm'),
    acme: {
      directoryUrl: directory === 'off' ? null : directory,
      caFile: get('TUTTI_ACME_CA_FILE', usesLocal ? join(dir, 'listener.pem') : '') || undefined,
      email: parse('TUTTI_ACME_EMAIL', z.string().regex(/^([^\s@]+@[^\s@]+)?$/, 'must be an e-mail address'), '') || undefined,
    },
    pebble: {
      enabled: parse('TUTTI_PEBBLE', schemas.bool('TUTTI_PEBBLE'), usesLocal ? 'true' : 'false'),
      port: pebblePort,
      managementPort: pebblePort + 1000,
      // beside Pebble's own ports, so a test slot's offset moves all four together
      dnsPort: pebblePort + 53,
      dnsManagementPort: pebblePort + 55,
      dir,
    },
    renewSchedule: parse('TUTTI_CERT_RENEW_SCHEDULE', schemas.cron, '17 */6 * * *'),
  };
}
