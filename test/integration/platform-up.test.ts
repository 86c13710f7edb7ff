import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { portAnswers } from '../../src/platform/processes';

const run = promisify(execFile);
const cli = resolve(__dirname, '../../dist/src/cli/main.js');

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((ok) => {
    const server = createServer(() => undefined).listen(0, '127.0.0.1', () => ok({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('platform up and doctor with a broken component', () => {
  it('a taken Temporal port: one line naming the port and the way out, exit 1, nothing started', async () => {
    const { server, port } = await listen();
    const dataDir = mkdtempSync(join(tmpdir(), 'tutti-up-'));
    try {
      const env = { ...process.env, TUTTI_PREFIX: 'tuttitest9', TUTTI_DATA_DIR: dataDir, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TUTTI_TEMPORAL_UI_PORT: String(port + 1) };
      const err = (await run(process.execPath, [cli, 'platform', 'up', '--no-worker'], { env }).catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(err.code).toBe(1);
      expect(err.stderr.trim().split('\n')).toHaveLength(1);
      expect(err.stderr).toMatch(new RegExp(`temporal: port 127\\.0\\.0\\.1:${port} is taken by another process; stop it .* or set TEMPORAL_ADDRESS`));
      // nothing started: no codec server on its port (UI port + 1), no process of this data dir, no key made
      expect(await portAnswers(port + 2)).toBe(false);
      expect(existsSync(join(dataDir, 'run')) ? readdirSync(join(dataDir, 'run')) : []).toEqual([]);
      expect(existsSync(join(dataDir, 'secrets'))).toBe(false);
    } finally {
      server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('doctor without a Temporal server: one line saying to start the platform', async () => {
    const env = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:9' };
    const err = (await run(process.execPath, [cli, 'doctor'], { env }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/^tutti: temporal: no server at 127\.0\.0\.1:9 .*; start the platform with npm run up\n$/);
  });
});
