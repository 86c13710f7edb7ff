import type { Client } from '@temporalio/client';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import type { TuttiConfig } from '../../src/config';
import { httpGet } from '../../src/infra/wait';
import { breakdown, type RunBreakdown } from './history';

const POLL_MS = 50;

export interface TuttiRun extends RunBreakdown {
  /** Client's start request → first 200 through Varnish seen by the bench's own poller. */
  toFirst200Ms: number;
  /** Client's start request → the workflow's result in the client. */
  toResultMs: number;
  /** Client's start request → WorkflowExecutionStarted. */
  startLatencyMs: number;
  /** WorkflowExecutionCompleted → result in the client. */
  resultLatencyMs: number;
}

/** Polls GET / through Varnish until 200, from the moment the site is requested; resolves to when it came. */
function firstOk(cfg: TuttiConfig, domain: string, stop: { now: boolean }): Promise<number> {
  return (async () => {
    const deadline = Date.now() + 300_000;
    while (!stop.now) {
      const r = await httpGet(`http://127.0.0.1:${cfg.varnish.httpPort}/`, domain).catch(() => undefined);
      if (r?.status === 200) return Date.now();
      if (Date.now() > deadline) throw new Error(`http://${domain}/ through Varnish did not answer 200 within 300000 ms`);
      await new Promise((res) => setTimeout(res, POLL_MS));
    }
    throw new Error('stopped');
  })();
}

/** createSite through Temporal, as `bin/tutti site create --wait` does, timed from the request. */
export async function createThroughTutti(client: Client, cfg: TuttiConfig, id: string, image: string): Promise<TuttiRun> {
  const domain = `${id}.bench.example`;
  const stop = { now: false };
  const requested = Date.now();
  const ok = firstOk(cfg, domain, stop);
  ok.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled
  try {
    const handle = await startCreateSite(client, cfg, { domains: [domain], slug: `bench-${id}`, title: `Bench ${id}`, image, requestedBy: 'bench/create-site' });
    await handle.result();
    const resultAt = Date.now();
    const okAt = await ok;
    const b = breakdown(await handle.fetchHistory());
    return { ...b, toFirst200Ms: okAt - requested, toResultMs: resultAt - requested, startLatencyMs: b.startedAt - requested, resultLatencyMs: resultAt - b.completedAt };
  } finally {
    stop.now = true;
    await ok.catch(() => undefined);
  }
}

export async function deleteThroughTutti(client: Client, cfg: TuttiConfig, id: string): Promise<void> {
  await (await startDeleteSite(client, cfg, { site: `bench-${id}`, requestedBy: 'bench/create-site' })).result();
}
