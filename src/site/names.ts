/**
 * Names and labels of everything Tutti creates. Labels prove ownership: nothing is removed
 * unless its labels say Tutti made it, under this prefix, for this site.
 */
export const LABEL = {
  managed: 'tutti.managed',
  prefix: 'tutti.prefix',
  site: 'tutti.site',
  role: 'tutti.role',
  host: 'tutti.host',
  color: 'tutti.color',
} as const;

export type Role = 'mariadb' | 'varnish' | 'web' | 'files' | 'network' | 'relay' | 'job' | 'terminator';

export function platformLabels(prefix: string, role: Role, host: string): Record<string, string> {
  return { [LABEL.managed]: 'true', [LABEL.prefix]: prefix, [LABEL.role]: role, [LABEL.host]: host };
}

export function siteLabels(prefix: string, slug: string, role: Role, host: string): Record<string, string> {
  return { ...platformLabels(prefix, role, host), [LABEL.site]: slug };
}

/** True when `labels` carry Tutti's ownership marks for this prefix (and site, when given). */
export function ownedBy(labels: Record<string, string> | undefined, prefix: string, slug?: string): boolean {
  if (!labels || labels[LABEL.managed] !== 'true' || labels[LABEL.prefix] !== prefix) return false;
  return slug === undefined || labels[LABEL.site] === slug;
}

export function platformNames(prefix: string) {
  return {
    mariadbContainer: `${prefix}-mariadb`,
    mariadbVolume: `${prefix}-mariadb-data`,
    varnishContainer: `${prefix}-varnish`,
    /** The host's mail relay; site networks reach it as `mail` (src/platform/relay.ts). */
    relayContainer: `${prefix}-relay`,
    /** The host's TLS terminator (HAProxy) in front of Varnish (src/platform/terminator.ts). */
    terminatorContainer: `${prefix}-tls`,
    /** The network the control plane's infrastructure containers share. */
    platformNetwork: `${prefix}-platform`,
  };
}

export type Color = 'blue' | 'green';

/**
 * Docker and MariaDB names for one site. Slugs are validated, so these are safe identifiers.
 *
 * A restore never overwrites the live database or volume: it fills a new *generation* of both
 * (`..__g2`, `..-g2`), checks it, and switches the site over. `__` and `--` never occur in a
 * slug, so generation names cannot collide with another site's names.
 */
export function siteNames(prefix: string, slug: string) {
  const ident = `${prefix}_${slug}`.replace(/-/g, '_');
  const databaseOf = (generation: number) => (generation === 1 ? ident : `${ident}__g${generation}`);
  const filesVolumeOf = (generation: number) => `${prefix}-site-${slug}-files${generation === 1 ? '' : `--g${generation}`}`;
  return {
    network: `${prefix}-site-${slug}`,
    filesVolume: filesVolumeOf(1),
    filesVolumeOf,
    databaseOf,
    /** True for every generation of this site's database, and nothing else. */
    isSiteDatabase: (name: string) => name === ident || new RegExp(`^${ident}__g[0-9]+$`).test(name),
    webContainer: (color: Color) => `${prefix}-site-${slug}-web-${color}`,
    /** Host-side directory of the site's secret files, relative to the secrets root. */
    secretsDir: `sites/${slug}`,
    database: ident,
    dbUser: ident,
    vclBackend: `site_${slug.replace(/-/g, '_')}`,
  };
}

/** The workflow ID every lifecycle operation of a site shares: one operation per site at a time. */
export function siteWorkflowId(slug: string): string {
  return `site/${slug}`;
}

/** The task queue of a Docker host's worker: Docker, MariaDB and Varnish activities for sites on that host. */
export function hostTaskQueue(host: string): string {
  return `tutti-host-${host}`;
}

/** Where the host MariaDB's root password lives in the secrets store; its folder is mounted at /run/secrets/tutti. */
export const MARIADB_ROOT_PASSWORD = 'mariadb/mariadb_root_password';
