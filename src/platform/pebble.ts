import { execFile } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TuttiConfig } from '../config';
import { binDir } from './services';
import type { ServiceProcess } from './processes';

const run = promisify(execFile);

/**
 * The dev and test platforms' ACME server: Pebble, resolving site domains through its challenge
 * test server's DNS (default answer 127.0.0.1, so HTTP-01 reaches this host's Varnish on
 * `httpPort`). Everything listens on loopback. Pebble makes a new root CA at every start: its
 * certificates are for tests and development only, trusted by nothing but the tests' clients.
 */
export function pebbleFiles(cfg: TuttiConfig) {
  const dir = cfg.tls.pebble.dir;
  return { dir, config: join(dir, 'pebble-config.json'), cert: join(dir, 'listener.pem'), key: join(dir, 'listener.key') };
}

/** Pebble's configuration, from its documented defaults (test/config/pebble-config.json) pointed at loopback and this platform's ports. */
export function pebbleConfig(cfg: TuttiConfig): object {
  const f = pebbleFiles(cfg);
  return {
    pebble: {
      listenAddress: `127.0.0.1:${cfg.tls.pebble.port}`,
      managementListenAddress: `127.0.0.1:${cfg.tls.pebble.managementPort}`,
      certificate: f.cert,
      privateKey: f.key,
      httpPort: cfg.varnish.httpPort,
      tlsPort: cfg.tls.httpsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      domainBlocklist: ['blocked-domain.example'],
      retryAfter: { authz: 1, order: 1 },
      keyAlgorithm: 'ecdsa',
      profiles: { default: { description: 'Tutti dev/test: 90 days, as Let\'s Encrypt', validityPeriod: 7_776_000 } },
    },
  };
}

/** The listener certificate of Pebble's own HTTPS API (self-signed, 127.0.0.1), and the config file; made once. */
export async function ensurePebbleFiles(cfg: TuttiConfig): Promise<void> {
  const f = pebbleFiles(cfg);
  await mkdir(f.dir, { recursive: true, mode: 0o700 });
  const exists = await access(f.cert).then(() => true, () => false);
  if (!exists) {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
      '-subj', '/CN=tutti-pebble-listener', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', f.key, '-out', f.cert,
    ]);
  }
  await writeFile(f.config, JSON.stringify(pebbleConfig(cfg), null, 2));
}

function runFiles(cfg: TuttiConfig, name: string) {
  return { pidFile: join(cfg.dataDir, 'run', `${name}.pid`), logFile: join(cfg.dataDir, 'logs', `${name}.log`) };
}

export function pebbleService(cfg: TuttiConfig): ServiceProcess {
  const f = pebbleFiles(cfg);
  return {
    name: 'pebble',
    command: join(binDir(cfg), 'pebble'),
    args: ['-config', f.config, '-dnsserver', `127.0.0.1:${cfg.tls.pebble.dnsPort}`],
    // No random 0–15 s sleep before each validation, and no deliberately rejected nonces: both are
    // Pebble's way of hardening clients, and would only slow tests that check other things. No
    // reuse of valid authorizations either: every order validates, as a renewal 60 days on does.
    env: { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    marker: f.config,
    ...runFiles(cfg, 'pebble'),
    ports: [cfg.tls.pebble.port, cfg.tls.pebble.managementPort],
    readyTimeoutMs: 30_000,
  };
}

export function challtestsrvService(cfg: TuttiConfig): ServiceProcess {
  const p = cfg.tls.pebble;
  return {
    name: 'pebble-dns',
    command: join(binDir(cfg), 'pebble-challtestsrv'),
    // DNS only: HTTP-01 is answered by Varnish from the registry, never by this server.
    args: ['-dnsserver', `127.0.0.1:${p.dnsPort}`, '-management', `127.0.0.1:${p.dnsManagementPort}`, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-http01', '', '-https01', '', '-tlsalpn01', '', '-doh', ''],
    marker: `127.0.0.1:${p.dnsManagementPort}`,
    ...runFiles(cfg, 'pebble-dns'),
    ports: [p.dnsManagementPort],
    readyTimeoutMs: 30_000,
  };
}

/** The root CA Pebble issues under (new at each start), from its management API: what the tests' clients trust. */
export async function pebbleRoot(cfg: TuttiConfig): Promise<string> {
  const { request } = await import('node:https');
  const { readFile } = await import('node:fs/promises');
  const ca = await readFile(pebbleFiles(cfg).cert);
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: cfg.tls.pebble.managementPort, path: '/roots/0', ca }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`Pebble /roots/0: HTTP ${res.statusCode}`))));
    }).on('error', reject).end();
  });
}
