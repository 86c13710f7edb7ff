import type { ActivityDeps } from './deps';
import { createPlatformActivities } from './platform';

export type { ActivityDeps } from './deps';

/** Every activity, built from its dependencies; registered on both the shared and the host queue. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPlatformActivities(deps),
    async defaultHost(): Promise<string> {
      return deps.cfg.hostName;
    },
  };
}
