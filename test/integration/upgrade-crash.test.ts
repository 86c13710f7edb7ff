import { Client, Connection } from '@temporalio/client';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { startUpgradeSite } from '../../src/client/upgrades';
import { dataConverter } from '../../src/codec';
import { createDocker } from '../../src/infra/docker';
import { getSite } from '../../src/infra/registry';
import { httpGet, waitUntil } from '../../src/infra/wait';
import { WorkerProcess } from '../helpers/workerProcess';
import { testConfig } from '../helpers/platform';
import { activeVcl, inventory, NOTHING, rootDb } from '../helpers/sites';

describe('upgradeSite survives a worker crash', () => {
  it('SIGKILL mid-upgrade, restart: ends upgraded or rolled back, one live container, routed to it', async () => {
    const cfg = testConfig();
    const first = new WorkerProcess(cfg, 'upgrade-crash-1');
    const second = new WorkerProcess(cfg, 'upgrade-crash-2');
    await first.start();
    const client = new Client({ connection: await Connection.connect({ address: cfg.temporal.address }), namespace: cfg.temporal.namespace, dataConverter: dataConverter(cfg) });
    try {
      await (await startCreateSite(client, cfg, { domains: ['crashup.example'], title: 'Crash Upgrade' })).result();
      const handle = await startUpgradeSite(client, cfg, { site: 'crashup', image: 'tutti/wordpress:php8.4-trixie', drainSeconds: 1 });
      await waitUntil('the green container', async () => ((await inventory(cfg, 'crashup')).containers.some((c) => c.endsWith('-web-green')) ? true : undefined), { timeoutMs: 180_000, intervalMs: 200 });
      await first.kill();
      await second.start();
      const outcome = await handle.result().then((r) => r.outcome as string, () => 'rolled-back');
      expect(['upgraded', 'rolled-back']).toContain(outcome);
      const db = rootDb(cfg);
      const site = (await getSite(db, 'crashup'))!;
      await db.end();
      const inv = await inventory(cfg, 'crashup');
      expect(inv.containers).toEqual([site.activeContainer]);
      expect((await createDocker(cfg.docker).getContainer(site.activeContainer!).inspect()).State.Running).toBe(true);
      expect(await activeVcl(createDocker(cfg.docker), cfg)).toContain(`.host = "${site.activeContainer}";`);
      const page = await httpGet(`http://127.0.0.1:${cfg.varnish.httpPort}/`, 'crashup.example');
      expect(page.status).toBe(200);
      expect(page.body).toContain('Crash Upgrade');
      await (await startDeleteSite(client, cfg, { site: 'crashup' })).result();
      expect(await inventory(cfg, 'crashup')).toEqual(NOTHING);
    } finally {
      await first.kill();
      await second.stop();
      await client.connection.close();
    }
  });
});
