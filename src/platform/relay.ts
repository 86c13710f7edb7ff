import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TuttiConfig } from '../config';
import { connectNetwork, ensureContainer, ensureNetwork, ensureVolume, imageId, inspectContainer, removeContainer, type Docker } from '../infra/docker';
import { exec } from '../infra/dockerExec';
import { waitUntil } from '../infra/wait';
import { RELAY_ALIAS, RELAY_CREDENTIALS_PATH, relayEnv } from '../site/mail';
import { platformLabels, platformNames } from '../site/names';
import { PlatformError } from './processes';

/**
 * The host's mail relay (images/relay, Postfix): one container per Docker host, attached to
 * every site network under the alias `mail`, so all site mail leaves through one controlled
 * point. Its queue and mailbox live in named volumes and outlive a new container.
 */

const CONFIG_LABEL = 'tutti.relay-config';
const SMTP_GREETING = ['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/25 && read -r -t 5 line <&3 && [[ $line == 220* ]] && printf "QUIT\\r\\n" >&3'];

export function relayNames(prefix: string) {
  return { container: platformNames(prefix).relayContainer, spoolVolume: `${prefix}-relay-spool`, mailVolume: `${prefix}-relay-mail` };
}

/** Checks the credentials file without ever printing its content. */
function checkCredentials(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PlatformError(`relay: TUTTI_SMARTHOST_CREDENTIALS_FILE ${path} is not readable (${(err as NodeJS.ErrnoException).code ?? 'error'}); write user:password there (mode 0600)`);
  }
  if (!/^[^:\n]+:[^\n]+/.test(text)) throw new PlatformError(`relay: ${path} must hold user:password on its first line`);
}

export type RelayOutcome = 'already-running' | 'started' | 'created' | 'recreated';

/**
 * Makes sure the relay runs with the configured route: created when missing, recreated when its
 * image or route changed (queued mail stays in the spool volume), then attached to every site
 * network of this prefix. Returns what it did and how many site networks it is on.
 */
export async function ensureRelay(docker: Docker, cfg: TuttiConfig): Promise<{ outcome: RelayOutcome; networks: number }> {
  const n = relayNames(cfg.prefix);
  const owner = { prefix: cfg.prefix };
  const route = cfg.mail.route;
  if (route.kind === 'smarthost' && route.credentialsFile) checkCredentials(route.credentialsFile);
  const image = await imageId(docker, cfg.mail.relayImage);
  if (!image) throw new PlatformError(`image ${cfg.mail.relayImage} is missing on this Docker engine; build it with scripts/images.sh ensure`);

  const env = relayEnv(route, cfg.mail.hostname);
  const binds = [`${n.spoolVolume}:/var/spool/postfix`, `${n.mailVolume}:/var/mail`];
  if (route.kind === 'smarthost' && route.credentialsFile) binds.push(`${route.credentialsFile}:${RELAY_CREDENTIALS_PATH}:ro`);
  const config = createHash('sha256').update(JSON.stringify({ image, env, binds })).digest('hex').slice(0, 16);

  const before = await inspectContainer(docker, n.container);
  let outcome: RelayOutcome = !before ? 'created' : before.State.Running ? 'already-running' : 'started';
  if (before && before.Config.Labels?.[CONFIG_LABEL] !== config) {
    await removeContainer(docker, n.container, owner);
    outcome = 'recreated';
  }
  const labels = platformLabels(cfg.prefix, 'relay', cfg.hostName);
  const network = platformNames(cfg.prefix).platformNetwork;
  await ensureNetwork(docker, network, platformLabels(cfg.prefix, 'network', cfg.hostName), owner);
  for (const v of [n.spoolVolume, n.mailVolume]) await ensureVolume(docker, v, labels, owner);
  await ensureContainer(docker, { name: n.container, image: cfg.mail.relayImage, labels: { ...labels, [CONFIG_LABEL]: config }, env, binds, network, memoryBytes: 128 * 1024 * 1024 }, owner);
  await waitUntil(
    `relay ${n.container} accepting mail (see docker logs ${n.container})`,
    async () => {
      const info = await inspectContainer(docker, n.container);
      if (!info?.State.Running) throw new Error(`${n.container} is ${info?.State.Status ?? 'gone'}`);
      return (await relayAnswers(docker, n.container)) ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
  const siteNetworks = await docker.listNetworks({ filters: { label: [`tutti.prefix=${cfg.prefix}`, 'tutti.role=network', 'tutti.site'] } });
  for (const net of siteNetworks) await connectNetwork(docker, net.Name, n.container, [RELAY_ALIAS]);
  return { outcome, networks: siteNetworks.length };
}

/** Postfix in `container` greets on port 25. The spool volume keeps an older container's sockets and pid files: only a greeting proves this one serves. */
export async function relayAnswers(docker: Docker, container: string): Promise<boolean> {
  return (await exec(docker, container, SMTP_GREETING)).exitCode === 0;
}

/** For `platform down`: stops (never removes) the relay; its queue is in a volume. */
export async function stopRelay(docker: Docker, cfg: TuttiConfig): Promise<boolean> {
  const name = relayNames(cfg.prefix).container;
  const info = await inspectContainer(docker, name);
  if (!info?.State.Running) return false;
  await docker.getContainer(name).stop({ t: 20 });
  return true;
}
