import { ApplicationFailure, setCurrentDetails } from '@temporalio/workflow';
import { z } from 'zod';
import type { ComponentReport } from '../activities/platform';
import { FailureType } from '../src/site/errors';
import { hostSchema } from '../src/site/validate';
import { validated } from './common';
import { hostActivities, QUICK, sharedActivities } from './hostActivities';

export const checkPlatformInputSchema = z
  .object({
    /** The Docker host to check; defaults to the worker's own host. */
    host: hostSchema.optional(),
  })
  .strict();
export type CheckPlatformInput = z.input<typeof checkPlatformInputSchema>;

export interface PlatformReport {
  host: string;
  ok: boolean;
  components: ComponentReport[];
}

/**
 * Talks to every real component (Docker engine, MariaDB, Varnish, S3) and reports versions and
 * health. A broken component ends the run Failed, non-retryably, with the report as details.
 */
export async function checkPlatform(rawInput: CheckPlatformInput = {}): Promise<PlatformReport> {
  const input = validated(checkPlatformInputSchema, rawInput);
  const shared = sharedActivities(QUICK);
  const host = input.host ?? (await shared.defaultHost());
  const onHost = hostActivities(host, QUICK);
  setCurrentDetails(`checking host ${host}`);

  const settled = await Promise.allSettled([onHost.checkDocker(), onHost.checkMariadb(), onHost.checkVarnish(), shared.checkS3()]);
  const names = ['docker', 'mariadb', 'varnish', 's3'] as const;
  const components: ComponentReport[] = settled.map((s, i) =>
    s.status === 'fulfilled'
      ? s.value
      : {
          component: names[i]!,
          ok: false,
          detail: `no answer from the worker of host ${host} (${(s.reason as Error).message})`,
          hint: `start the host worker (npm run up) for task queue tutti-host-${host}`,
        },
  );
  const report: PlatformReport = { host, ok: components.every((c) => c.ok), components };
  setCurrentDetails(report.ok ? `all ${components.length} components healthy` : `broken: ${components.filter((c) => !c.ok).map((c) => c.component).join(', ')}`);
  if (!report.ok) {
    const summary = components
      .filter((c) => !c.ok)
      .map((c) => `${c.component}: ${c.detail}; ${c.hint ?? ''}`)
      .join(' | ');
    throw ApplicationFailure.create({ message: summary, type: FailureType.ComponentUnavailable, nonRetryable: true, details: [report] });
  }
  return report;
}
