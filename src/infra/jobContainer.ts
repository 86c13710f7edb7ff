import type Docker from 'dockerode';
import { dockerUnavailable, removeContainer, type OwnerCheck } from './docker';

export interface JobContainerSpec {
  /** Deterministic per job, so a retry after a crash finds (and replaces) the one a dead worker left. */
  name: string;
  image: string;
  labels: Record<string, string>;
  /** `volume:/path[:ro]`. */
  binds: string[];
}

/**
 * Runs `work` with a short-lived container that only mounts the given volumes: no network, no
 * secrets, `sleep` as its process so commands run in it by exec. A container of the same name
 * left by an earlier attempt is removed first (which also stops whatever it was still running);
 * this one is removed afterwards, whatever happened.
 */
export async function withJobContainer<T>(docker: Docker, spec: JobContainerSpec, owner: OwnerCheck, work: (name: string) => Promise<T>): Promise<T> {
  await removeContainer(docker, spec.name, owner);
  try {
    const c = await docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Entrypoint: ['sleep'],
      Cmd: ['infinity'],
      Labels: spec.labels,
      HostConfig: { Binds: spec.binds, NetworkMode: 'none', RestartPolicy: { Name: 'no' }, SecurityOpt: ['no-new-privileges'] },
    });
    await c.start();
  } catch (err) {
    throw dockerUnavailable(err) ?? err;
  }
  try {
    return await work(spec.name);
  } finally {
    await removeContainer(docker, spec.name, owner).catch(() => undefined);
  }
}
