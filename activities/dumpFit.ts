import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { imageId } from '../src/infra/docker';
import { readImageFile } from '../src/infra/imageFile';
import { FailureType } from '../src/site/errors';
import { platformLabels } from '../src/site/names';
import type { DumpProfile } from '../src/site/platformDumps';
import type { ActivityDeps } from './deps';

export interface ImageVersion {
  image: string;
  /** The schema version the image's code expects (WordPress: `$wp_db_version`). */
  schema: number;
  release: string;
}

/**
 * Whether an image's code can run a dump's data: a dump whose schema version is newer than the
 * image's code would be refused by the platform only after the import, so it is refused before
 * anything is created, naming a local image of the same repository that fits.
 */
export function createDumpFit(deps: Pick<ActivityDeps, 'docker' | 'cfg'>) {
  const { docker, cfg } = deps;
  /** By image ID: an image's files never change. */
  const known = new Map<string, ImageVersion | null>();

  async function versionOf(profile: DumpProfile, image: string): Promise<ImageVersion | undefined> {
    const id = await imageId(docker, image);
    if (!id) return undefined;
    const { paths, schema, release, releasePath } = profile.imageVersion;
    const key = `${id} ${paths.join(' ')}`;
    if (!known.has(key)) {
      const name = `${cfg.prefix}-probe-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
      const read = (path: string) => readImageFile(docker, id, path, { name, labels: { ...platformLabels(cfg.prefix, 'job', cfg.hostName) }, owner: { prefix: cfg.prefix } });
      const texts: string[] = [];
      for (const path of paths) texts.push((await read(path)) ?? '');
      const versions = texts.flatMap((t) => [...t.matchAll(new RegExp(schema.source, schema.flags.includes('g') ? schema.flags : `${schema.flags}g`))].map((m) => Number(m[1])));
      const releaseText = releasePath ? ((await read(releasePath)) ?? '') : texts[0]!;
      known.set(key, versions.length ? { image, schema: Math.max(...versions), release: release.exec(releaseText)?.[1] ?? '?' } : null);
    }
    const v = known.get(key);
    return v ? { ...v, image } : undefined;
  }

  /** Local images of the same repository (`tutti/wordpress:*`), oldest code first. */
  async function siblings(profile: DumpProfile, image: string): Promise<ImageVersion[]> {
    const repo = image.replace(/(@.*|:[^/:]*)$/, '');
    const images = await docker.listImages({ filters: { reference: [`${repo}:*`] } });
    const tags = [...new Set(images.flatMap((i) => i.RepoTags ?? []).filter((t) => t !== `${repo}:<none>`))].sort();
    const versions = await Promise.all(tags.map((t) => versionOf(profile, t)));
    return versions.filter((v): v is ImageVersion => v !== undefined).sort((a, b) => a.schema - b.schema);
  }

  return {
    versionOf,
    /** Throws a non-retryable SourceRefused when `dumpSchema` is newer than what `image`'s code knows. */
    async requireFits(profile: DumpProfile, image: string, dumpSchema: number): Promise<ImageVersion | undefined> {
      const mine = await versionOf(profile, image);
      if (!mine || dumpSchema <= mine.schema) return mine;
      const fit = (await siblings(profile, image)).find((v) => v.schema >= dumpSchema);
      const next = fit
        ? `migrate it with "image": "${fit.image}" (${profile.product} ${fit.release}, ${profile.versionName} ${fit.schema})`
        : `no image on this host has ${profile.product} that new; build one with ${profile.product} of ${profile.versionName} ${dumpSchema} or later`;
      throw ApplicationFailure.nonRetryable(
        `database dump refused: it is from a newer ${profile.product} (${profile.versionName} ${dumpSchema}) than ${image} (${profile.product} ${mine.release}, ${profile.versionName} ${mine.schema}); ${next}`,
        FailureType.SourceRefused,
        { dumpSchema, image, imageSchema: mine.schema, fits: fit?.image },
      );
    },
  };
}
