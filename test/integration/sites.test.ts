import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { httpGet } from '../../src/infra/wait';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { startWorker, type RunningWorker } from '../helpers/platform';
import { inventory, NOTHING } from '../helpers/sites';

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause: unknown = (err as WorkflowFailedError).cause;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('createSite and deleteSite', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker();
  });
  afterAll(async () => {
    await w.stop();
  });

  it('creates two sites in parallel that answer with their own titles; deleting one leaves the other', async () => {
    const [a, b] = await Promise.all([
      startCreateSite(w.client, w.cfg, { domains: ['alpha.example', 'www.alpha.example'], title: 'Alpha Choir' }),
      startCreateSite(w.client, w.cfg, { domains: ['beta.example'], title: 'Beta Band' }),
    ]);
    const [ra, rb] = await Promise.all([a.result(), b.result()]);
    expect(ra).toMatchObject({ slug: 'alpha', url: 'http://alpha.example/' });
    expect(rb).toMatchObject({ slug: 'beta' });
    const pa = await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'alpha.example');
    const www = await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'www.alpha.example');
    expect(www.status).toBe(301); // routed to alpha's WordPress, which sends it to the primary domain
    const pb = await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'beta.example');
    expect(pa.status).toBe(200);
    expect(pa.body).toContain('Alpha Choir');
    expect(pb.status).toBe(200);
    expect(pb.body).toContain('Beta Band');
    expect((await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'nobody.example')).status).toBe(404);

    await (await startDeleteSite(w.client, w.cfg, { site: 'alpha' })).result();
    expect(await inventory(w.cfg, 'alpha')).toEqual(NOTHING);
    const after = await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'beta.example');
    expect(after.status).toBe(200);
    expect(after.body).toContain('Beta Band');
    expect((await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'alpha.example')).status).toBe(404);
    await (await startDeleteSite(w.client, w.cfg, { site: 'beta' })).result();
    expect(await inventory(w.cfg, 'beta')).toEqual(NOTHING);
  });

  it('a broken image leaves nothing behind', async () => {
    const cause = await failureOf((await startCreateSite(w.client, w.cfg, { domains: ['broken.example'], image: 'tutti/wordpress:broken' })).result());
    expect(cause.type).toBe('ContainerUnhealthy');
    expect(await inventory(w.cfg, 'broken')).toEqual(NOTHING);
  });
});
