import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { TuttiConfig } from '../config';
import { ensureContainer, ensureNetwork, imageId, inspectContainer, removeContainer, type Docker } from '../infra/docker';
import { Haproxy } from '../infra/haproxy';
import type { SecretStore } from '../infra/secrets';
import { waitUntil } from '../infra/wait';
import { platformLabels, platformNames } from '../site/names';
import { TLS_CERT_DIR, VARNISH_TLS_PORT } from '../site/tls';
import { PlatformError } from './processes';

const CONFIG_LABEL = 'tutti.terminator-config';

export type TerminatorOutcome = 'already-running' | 'started' | 'created' | 'recreated';

/**
 * The host's TLS terminator: HAProxy on the platform network, published on 127.0.0.1:httpsPort,
 * speaking PROXY protocol to Varnish's `tls` listener. The sites' certificates (with their keys:
 * secrets) are mounted read-only from the secrets store; new ones reach it by the runtime API.
 * It holds no state of its own, so a new image or setting simply replaces the container.
 */
export async function ensureTerminator(docker: Docker, cfg: TuttiConfig, secrets: SecretStore): Promise<{ outcome: TerminatorOutcome; certificates: number }> {
  const names = platformNames(cfg.prefix);
  const owner = { prefix: cfg.prefix };
  const image = await imageId(docker, cfg.tls.terminatorImage);
  if (!image) throw new PlatformError(`image ${cfg.tls.terminatorImage} is missing on this Docker engine; build it with scripts/images.sh ensure`);
  const certDir = secrets.path(TLS_CERT_DIR);
  await mkdir(certDir, { recursive: true, mode: 0o700 });
  const env = [`TUTTI_VARNISH=${names.varnishContainer}:${VARNISH_TLS_PORT}`];
  const binds = [`${certDir}:/etc/haproxy/certs:ro`];
  const config = createHash('sha256').update(JSON.stringify({ image, env, binds, port: cfg.tls.httpsPort })).digest('hex').slice(0, 16);

  const before = await inspectContainer(docker, names.terminatorContainer);
  let outcome: TerminatorOutcome = !before ? 'created' : before.State.Running ? 'already-running' : 'started';
  if (before && before.Config.Labels?.[CONFIG_LABEL] !== config) {
    await removeContainer(docker, names.terminatorContainer, owner);
    outcome = 'recreated';
  }
  await ensureNetwork(docker, names.platformNetwork, platformLabels(cfg.prefix, 'network', cfg.hostName), owner);
  const labels = { ...platformLabels(cfg.prefix, 'terminator', cfg.hostName), [CONFIG_LABEL]: config };
  await ensureContainer(docker, { name: names.terminatorContainer, image: cfg.tls.terminatorImage, labels, env, binds, network: names.platformNetwork, publish: { 443: cfg.tls.httpsPort }, memoryBytes: 256 * 1024 * 1024 }, owner);
  const haproxy = new Haproxy(docker, names.terminatorContainer);
  const certificates = await waitUntil(
    `HAProxy runtime API in ${names.terminatorContainer} (see docker logs ${names.terminatorContainer})`,
    async () => {
      const info = await inspectContainer(docker, names.terminatorContainer);
      if (!info?.State.Running) throw new Error(`${names.terminatorContainer} is ${info?.State.Status ?? 'gone'}`);
      return (await haproxy.certificates().catch(() => undefined))?.length;
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
  return { outcome, certificates: certificates - 1 }; // less the self-signed default
}

/** For `platform down`: stops (never removes) the terminator. */
export async function stopTerminator(docker: Docker, cfg: TuttiConfig): Promise<boolean> {
  const name = platformNames(cfg.prefix).terminatorContainer;
  const info = await inspectContainer(docker, name);
  if (!info?.State.Running) return false;
  await docker.getContainer(name).stop({ t: 10 });
  return true;
}
