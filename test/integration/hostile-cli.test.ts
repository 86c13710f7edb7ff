import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { HOSTILE } from '../helpers/hostile';
import { startWorker, type RunningWorker } from '../helpers/platform';
import { snapshot } from '../helpers/sideEffects';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const BACKUP = '20261128T063000Z-a1b2c3';

/** argv of bin/tutti, and the argument or field the rejection must name. */
const CASES: [string[], string][] = [
  [['site', 'create', 'Acme.example'], '<domain> 1'],
  [['site', 'create', 'acme.example', HOSTILE.vcl[0]!], '<domain> 2'],
  [['site', 'create', 'acme.example', '--slug', HOSTILE.sql[0]!], '--slug'],
  [['site', 'create', 'acme.example', '--image=-rf'], '--image'],
  [['site', 'create', 'acme.example', '--image', HOSTILE.shell[0]!], '--image'],
  [['site', 'create', 'acme.example', '--title', 'Acme\u202eChoir'], '--title'],
  [['site', 'create', 'acme.example', '--title', 'x'.repeat(10_000)], '--title'],
  [['site', 'create', 'acme.example', '--platform', 'joomla'], '--platform'],
  [['site', 'create', 'acme.example', '--host', 'a;b'], '--host'],
  [['site', 'create', '\u0430cme.example'], '<domain> 1'],
  [['site', 'show', HOSTILE.sql[1]!], '<site>'],
  [['site', 'delete', HOSTILE.path[0]!], '<site>'],
  [['secrets', 'rotate', HOSTILE.shell[0]!], '<site>'],
  [['secrets', 'rotate', 'acme', '--grace', '99999'], '--grace'],
  [['secrets', 'rotate', 'acme', '--grace', '1; rm -rf /'], '--grace'],
  [['backup', 'create', 'a b'], '<site>'],
  [['backup', 'list', 'acme\u200b'], '<site>'],
  [['restore', 'acme', '--backup', HOSTILE.path[0]!], '--backup'],
  [['restore', 'acme', '--backup', BACKUP, '--to', HOSTILE.vcl[3]!], '--to'],
  [['backup', 'verify', 'acme', '--backup', '20261399T999999Z-abcdef'], '--backup'],
  [['backup', 'fleet', '--site', 'acme', 'BAD'], '--site 2'],
  [['cron', 'run', 'a'.repeat(10_000)], '<site>'],
  [['cron', 'pause', 'acme', '--note', 'x\u001b[2J'], '--note'],
  [['cron', 'status', '$(id)'], '<site>'],
  [['migrate', 'acme.example', '--db', HOSTILE.path[0]!, '--files', '/srv/import/files.tar'], 'source.db'],
  [['migrate', 'acme.example', '--db', '/srv/import/db.sql', '--files', HOSTILE.url[1]!], 'source.files'],
  [['approve', HOSTILE.shell[1]!], '<site>'],
  [['reject', 'acme', '--reason', 'bad\u0007reason'], '--reason'],
  [['doctor', '--host', HOSTILE.shell[2]!], '--host'],
];

function tutti(argv: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...argv], { env: process.env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('hostile input on the command line', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker();
  });
  afterAll(async () => {
    await w.stop();
  });

  it('every command exits 2 naming the argument, starts no workflow and changes nothing', async () => {
    const before = await snapshot(w.cfg, w.client);
    const runsBefore = (await w.client.workflow.count()).count;
    for (const [argv, field] of CASES) {
      const r = tutti(argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect({ argv, named: r.stderr.startsWith(`tutti: invalid input: ${field}: `) || r.stderr.startsWith(`tutti: invalid input: ${field}.`), stderr: r.stderr }).toMatchObject({ argv, named: true });
      // One line, printable: a hostile value cannot redraw the operator's terminal.
      expect(r.stderr.trimEnd()).toMatch(/^[\x20-\x7e]+$/);
      expect(r.stdout).toBe('');
    }
    expect((await w.client.workflow.count()).count).toBe(runsBefore);
    expect(await snapshot(w.cfg, w.client)).toEqual(before);
  });
});
