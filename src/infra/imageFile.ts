import type Docker from 'dockerode';
import { dockerUnavailable, removeContainer, type OwnerCheck } from './docker';

/**
 * Reads one small file out of an image without running it: a container is created (never
 * started), the file copied out of it as a tar stream, and the container removed. Returns
 * undefined when the image has no such file.
 */
export async function readImageFile(docker: Docker, image: string, path: string, job: { name: string; labels: Record<string, string>; owner: OwnerCheck }, maxBytes = 1024 * 1024): Promise<string | undefined> {
  await removeContainer(docker, job.name, job.owner);
  try {
    const c = await docker.createContainer({ name: job.name, Image: image, Entrypoint: ['true'], Cmd: [], Labels: job.labels, HostConfig: { NetworkMode: 'none' } });
    let tar: NodeJS.ReadableStream;
    try {
      tar = await c.getArchive({ path });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of tar as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes + 1024) throw new Error(`${path} in ${image} is larger than ${maxBytes} bytes`);
      chunks.push(chunk);
    }
    const archive = Buffer.concat(chunks);
    // One regular file: a 512-byte ustar header, its size in octal at offset 124, the content after it.
    const size = parseInt(archive.toString('latin1', 124, 136).replace(/\0.*$/, '').trim(), 8);
    return archive.toString('utf8', 512, 512 + size);
  } catch (err) {
    throw dockerUnavailable(err) ?? err;
  } finally {
    await removeContainer(docker, job.name, job.owner).catch(() => undefined);
  }
}
