import { ApplicationFailure } from '@temporalio/common';
import { canLogIn, setDbUserPasswords } from '../src/infra/mariadb';
import { generatePassword } from '../src/infra/secrets';
import { FailureType } from '../src/site/errors';
import { siteNames } from '../src/site/names';
import { profileOf } from '../src/site/platforms';
import type { SiteSpec } from '../src/site/spec';
import type { ActivityDeps } from './deps';
import { classified } from './failures';

/**
 * Rotation of a site's DB password without downtime, in steps that are each safe to repeat and
 * that read their state from the secrets store only:
 *   stage  → `rotation/<slug>/db_password.next` (outside the folder the container mounts)
 *   accept → MariaDB takes the current and the next password (two authentications, OR)
 *   switch → the mounted `db_password` becomes the next one in one rename; the old one is set aside
 *   settle → MariaDB takes only the mounted one; the old one is proven refused, then forgotten
 * No value ever leaves these activities: they return booleans and names.
 */
export function createSecretActivities(deps: ActivityDeps) {
  const { cfg, secrets } = deps;
  const files = (slug: string) => {
    const n = siteNames(cfg.prefix, slug);
    return { current: `${n.secretsDir}/db_password`, rotation: `rotation/${slug}`, next: `rotation/${slug}/db_password.next`, old: `rotation/${slug}/db_password.old`, user: n.dbUser };
  };
  const current = async (slug: string): Promise<string> => {
    const value = await secrets.read(files(slug).current);
    if (!value) throw ApplicationFailure.nonRetryable(`site ${slug} has no DB password in the secrets store (${files(slug).current}); is it a site Tutti created?`, FailureType.SiteNotFound);
    return value;
  };
  const login = (user: string, password: string) => canLogIn({ host: cfg.mariadb.host, port: cfg.mariadb.port, user, password });

  return classified({
    async stageDbPassword(slug: string): Promise<void> {
      await current(slug);
      await secrets.ensure(files(slug).next, () => generatePassword());
    },

    async acceptBothDbPasswords(slug: string): Promise<void> {
      const f = files(slug);
      const next = await secrets.read(f.next);
      if (next === undefined) return; // already switched by an earlier attempt
      await setDbUserPasswords(deps.db(), f.user, [await current(slug), next]);
    },

    async switchDbPasswordFile(spec: SiteSpec): Promise<void> {
      const f = files(spec.slug);
      const next = await secrets.read(f.next);
      if (next === undefined) return;
      const now = await current(spec.slug);
      if (now !== next) {
        await secrets.write(f.old, now);
        await secrets.write(f.current, next, { gid: profileOf(spec.platform).secretGid });
      }
      await secrets.remove(f.next);
    },

    /** Also the compensation of a failed rotation: whatever step it stopped at, the site keeps the password its container reads. */
    async settleDbPassword(slug: string): Promise<{ currentAccepted: boolean; oldRefused: boolean }> {
      const f = files(slug);
      const now = await current(slug);
      await setDbUserPasswords(deps.db(), f.user, [now]);
      const old = await secrets.read(f.old);
      const result = { currentAccepted: await login(f.user, now), oldRefused: old === undefined || old === now || !(await login(f.user, old)) };
      if (!result.currentAccepted || !result.oldRefused) {
        throw ApplicationFailure.retryable(`DB user ${f.user} after rotation: current password ${result.currentAccepted ? 'accepted' : 'refused'}, old password ${result.oldRefused ? 'refused' : 'still accepted'}`, FailureType.CommandFailed);
      }
      await secrets.remove(f.rotation);
      return result;
    },
  });
}

export type SecretActivities = ReturnType<typeof createSecretActivities>;
