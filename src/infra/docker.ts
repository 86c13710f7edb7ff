import Docker from 'dockerode';
import type { TuttiConfig } from '../config';
import { NotOwnedError, UnavailableError } from './errors';

export type { Docker };

export function createDocker(cfg: TuttiConfig['docker']): Docker {
  return new Docker(cfg);
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** Turns "cannot connect" errors into one line naming the engine and the next step. */
export function dockerUnavailable(err: unknown): UnavailableError | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
    return new UnavailableError('docker', `engine not answering (${code})`, 'start it with npm run up, or set DOCKER_HOST');
  }
  return undefined;
}

export async function inspectContainer(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw dockerUnavailable(err) ?? err;
  }
}

export interface OwnerCheck {
  prefix: string;
  /** When set, the resource must also carry this site's label. */
  site?: string;
}

function assertOwned(kind: string, name: string, labels: Record<string, string> | undefined, owner: OwnerCheck): void {
  const ok = labels?.['tutti.managed'] === 'true' && labels['tutti.prefix'] === owner.prefix && (owner.site === undefined || labels['tutti.site'] === owner.site);
  if (!ok) {
    throw new NotOwnedError(`${kind} ${name} exists but its labels do not show Tutti made it${owner.site ? ` for site ${owner.site}` : ''}; remove or rename it by hand`);
  }
}

/** Stops and removes a container if it exists and its labels prove we own it. Returns whether one was removed. */
export async function removeContainer(docker: Docker, name: string, owner: OwnerCheck): Promise<boolean> {
  const info = await inspectContainer(docker, name);
  if (!info) return false;
  assertOwned('container', name, info.Config.Labels, owner);
  try {
    await docker.getContainer(name).remove({ force: true, v: false });
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  return true;
}

export async function ensureNetwork(docker: Docker, name: string, labels: Record<string, string>, owner: OwnerCheck): Promise<string> {
  const existing = await docker.listNetworks({ filters: { name: [name] } });
  const exact = existing.find((n) => n.Name === name);
  if (exact) {
    assertOwned('network', name, exact.Labels, owner);
    return exact.Id;
  }
  const net = await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
  return net.id;
}

export async function removeNetwork(docker: Docker, name: string, owner: OwnerCheck): Promise<boolean> {
  const exact = (await docker.listNetworks({ filters: { name: [name] } })).find((n) => n.Name === name);
  if (!exact) return false;
  assertOwned('network', name, exact.Labels, owner);
  const info = await docker.getNetwork(exact.Id).inspect();
  for (const id of Object.keys(info.Containers ?? {})) {
    await docker.getNetwork(exact.Id).disconnect({ Container: id, Force: true }).catch(() => undefined);
  }
  try {
    await docker.getNetwork(exact.Id).remove();
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  return true;
}

/** Connects a container to a network unless it already is. */
export async function connectNetwork(docker: Docker, network: string, container: string, aliases?: string[]): Promise<void> {
  const info = await inspectContainer(docker, container);
  if (!info) throw new Error(`container ${container} not found; is the platform up (npm run up)?`);
  if (info.NetworkSettings.Networks[network]) return;
  try {
    await docker.getNetwork(network).connect({ Container: container, EndpointConfig: aliases ? { Aliases: aliases } : undefined });
  } catch (err) {
    // a retry racing the first attempt: already connected is success
    if (!/already exists|already attached/i.test((err as Error).message)) throw err;
  }
}

export async function disconnectNetwork(docker: Docker, network: string, container: string): Promise<void> {
  const info = await inspectContainer(docker, container);
  if (!info?.NetworkSettings.Networks[network]) return;
  await docker.getNetwork(network).disconnect({ Container: container, Force: true });
}

export async function ensureVolume(docker: Docker, name: string, labels: Record<string, string>, owner: OwnerCheck): Promise<void> {
  try {
    const info = await docker.getVolume(name).inspect();
    assertOwned('volume', name, info.Labels ?? undefined, owner);
    return;
  } catch (err) {
    if (err instanceof NotOwnedError) throw err;
    if (statusOf(err) !== 404) throw dockerUnavailable(err) ?? err;
  }
  await docker.createVolume({ Name: name, Labels: labels });
}

export async function removeVolume(docker: Docker, name: string, owner: OwnerCheck): Promise<boolean> {
  let info: Docker.VolumeInspectInfo;
  try {
    info = await docker.getVolume(name).inspect();
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw err;
  }
  assertOwned('volume', name, info.Labels ?? undefined, owner);
  await docker.getVolume(name).remove();
  return true;
}

/** The local image's ID (a content digest) or undefined when the image is not on this engine. */
export async function imageId(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw dockerUnavailable(err) ?? err;
  }
}

export interface ContainerSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  /** Non-secret settings only; secrets are mounted as files. */
  env?: string[];
  cmd?: string[];
  /** `host-path:container-path[:ro]` or `volume:container-path`. */
  binds?: string[];
  network: string;
  networkAliases?: string[];
  /** containerPort → host port on 127.0.0.1. */
  publish?: Record<number, number>;
  memoryBytes?: number;
  restart?: 'unless-stopped' | 'no';
  healthcheck?: Docker.HealthConfig;
}

/**
 * Makes sure a container with this name exists and runs. An existing one is kept when its
 * labels prove we own it (`owner`); it is started if stopped. Returns its ID.
 */
export async function ensureContainer(docker: Docker, spec: ContainerSpec, owner: OwnerCheck): Promise<string> {
  const existing = await inspectContainer(docker, spec.name);
  if (existing) {
    assertOwned('container', spec.name, existing.Config.Labels, owner);
    if (!existing.State.Running) await docker.getContainer(existing.Id).start().catch(ignoreAlreadyStarted);
    return existing.Id;
  }
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  const exposed: Record<string, object> = {};
  for (const [cport, hport] of Object.entries(spec.publish ?? {})) {
    portBindings[`${cport}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: String(hport) }];
    exposed[`${cport}/tcp`] = {};
  }
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Labels: spec.labels,
      Env: spec.env,
      Cmd: spec.cmd,
      ExposedPorts: exposed,
      Healthcheck: spec.healthcheck,
      HostConfig: {
        Binds: spec.binds,
        PortBindings: portBindings,
        NetworkMode: spec.network,
        RestartPolicy: { Name: spec.restart ?? 'unless-stopped' },
        Memory: spec.memoryBytes,
        SecurityOpt: ['no-new-privileges'],
      },
      NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: spec.networkAliases } } },
    });
  } catch (err) {
    if (statusOf(err) === 409) return ensureContainer(docker, spec, owner); // created concurrently by a retry
    if (statusOf(err) === 404) throw new Error(`image ${spec.image} is not on this Docker host; build it with scripts/images.sh ensure`, { cause: err });
    throw dockerUnavailable(err) ?? err;
  }
  await container.start().catch(ignoreAlreadyStarted);
  return container.id;
}

function ignoreAlreadyStarted(err: unknown): void {
  if (statusOf(err) !== 304) throw err;
}

/** Lists containers carrying all the given labels (running or not). */
export async function listByLabels(docker: Docker, labels: Record<string, string>): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) } });
}
