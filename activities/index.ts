import { createBackupActivities } from './backups';
import { createRestoreActivities } from './backupRestore';
import { createBackupStoreActivities } from './backupStore';
import { createCertificateActivities } from './certificates';
import { createCronActivities } from './cron';
import type { ActivityDeps } from './deps';
import { createMigrateActivities } from './migrate';
import { createPlatformActivities } from './platform';
import { createRegistryActivities } from './registry';
import { createRouteActivities } from './routes';
import { createSecretActivities } from './secrets';
import { createSiteCheckActivities } from './siteChecks';
import { createSiteActivities } from './sites';
import { createUpgradeActivities } from './upgrade';

export type { ActivityDeps } from './deps';

/** Every activity, built from its dependencies; registered on both the shared and the host queue. */
export function createActivities(deps: ActivityDeps) {
  const routes = createRouteActivities(deps);
  return {
    ...createPlatformActivities(deps),
    ...createRegistryActivities(deps),
    ...createSiteActivities(deps),
    ...createSiteCheckActivities(deps),
    ...routes,
    ...createCertificateActivities(deps, routes.syncRoutes),
    ...createSecretActivities(deps),
    ...createCronActivities(deps),
    ...createUpgradeActivities(deps),
    ...createBackupActivities(deps),
    ...createRestoreActivities(deps),
    ...createBackupStoreActivities(deps),
    ...createMigrateActivities(deps),
    async defaultHost(): Promise<string> {
      return deps.cfg.hostName;
    },
  };
}
