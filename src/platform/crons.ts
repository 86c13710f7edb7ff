import type { TuttiConfig } from '../config';
import { connectClient } from '../client/connect';
import { reconcileCronSchedules } from '../client/crons';
import { connectHostDb } from '../infra/mariadb';

/** For `platform up`: one cron schedule per site, matching its settings; returns the line to print. */
export async function reconcileSiteCrons(cfg: TuttiConfig): Promise<string> {
  const client = await connectClient(cfg);
  const db = connectHostDb(cfg);
  try {
    const r = await reconcileCronSchedules(client, cfg, db);
    const changes = [
      r.created.length ? `created ${r.created.join(', ')}` : '',
      r.updated.length ? `updated ${r.updated.join(', ')}` : '',
      r.removed.length ? `removed left-over ${r.removed.join(', ')}` : '',
    ].filter(Boolean);
    return `${r.created.length + r.updated.length + r.unchanged} site schedule(s)${changes.length ? `: ${changes.join('; ')}` : ', all up to date'}`;
  } finally {
    await db.end();
    await client.connection.close();
  }
}
