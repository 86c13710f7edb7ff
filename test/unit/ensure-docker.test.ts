/**
 * ensure_docker (scripts/lib.sh) against a dockerd that is alive but silent, as after a kill
 * while it shuts down. Fakes on PATH stand in for docker and dockerd so the machine's engine is
 * never touched: `docker` answers once the file "answering" exists, `dockerd` records its start.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const LIB = resolve(__dirname, '../../scripts/lib.sh');

let dir: string;
let old: ChildProcess | undefined;

function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/bash\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tutti-ensure-docker-'));
  spawnSync('mkdir', ['-p', join(dir, 'bin'), join(dir, 'old')]);
  script(join(dir, 'bin/docker'), `[ -e "${dir}/answering" ]`);
  // A started engine answers at once and stays up until the test ends it.
  script(join(dir, 'bin/dockerd'), `date +%s%N >>"${dir}/started"; echo $$ >"${dir}/new.pid"; touch "${dir}/answering"; exec sleep 60`);
});

afterEach(() => {
  // The group: bash and the sleep it waits on.
  if (old?.pid) {
    try {
      process.kill(-old.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  old = undefined;
  if (existsSync(join(dir, 'new.pid'))) {
    try {
      process.kill(Number(readFileSync(join(dir, 'new.pid'), 'utf8')), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** An old daemon, named dockerd and recorded in the pid file, running `body` (no exec: that renames it). */
function oldDockerd(body: string): number {
  old = spawn(script(join(dir, 'old/dockerd'), body), [], { stdio: 'ignore', detached: true });
  writeFileSync(join(dir, 'docker.pid'), String(old.pid));
  return old.pid!;
}

function ensureDocker(settleSeconds = 30) {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; . "${LIB}"; ensure_docker`], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
      HOME: dir,
      DOCKERD_PIDFILE: join(dir, 'docker.pid'),
      DOCKERD_LOG: join(dir, 'dockerd.log'),
      DOCKERD_SETTLE_S: String(settleSeconds),
    },
  });
  const starts = existsSync(join(dir, 'started')) ? readFileSync(join(dir, 'started'), 'utf8').trim().split('\n').map(BigInt) : [];
  return { status: r.status, out: r.stdout + r.stderr, starts };
}

const rootOnly = process.getuid?.() === 0 ? it : it.skip;

describe('ensure_docker and a dockerd that does not answer', () => {
  rootOnly('waits for a dockerd that is still stopping, then starts one after it is gone', () => {
    const pid = oldDockerd(`sleep 3; date +%s%N >"${dir}/old-exited"`);
    const r = ensureDocker();
    expect(r.out).toContain(`dockerd (pid ${pid}) is running but not answering yet`);
    expect(r.out).toContain('starting dockerd');
    expect(r.status).toBe(0);
    expect(r.starts).toHaveLength(1);
    expect(r.starts[0]!).toBeGreaterThan(BigInt(readFileSync(join(dir, 'old-exited'), 'utf8').trim()));
  });

  it('starts no second dockerd when the one running begins to answer', () => {
    const pid = oldDockerd(`sleep 2; touch "${dir}/answering"; sleep 60`);
    const r = ensureDocker();
    expect(r.out).toContain(`dockerd (pid ${pid}) is running but not answering yet`);
    expect(r.status).toBe(0);
    expect(r.starts).toHaveLength(0);
    expect(r.out).not.toContain('starting dockerd');
  });

  it('gives up naming the pid when the running dockerd never answers, without starting another', () => {
    const pid = oldDockerd('sleep 60');
    const r = ensureDocker(2);
    expect(r.status).toBe(1);
    expect(r.out).toContain(`dockerd (pid ${pid}) is alive but has not answered for 2 s`);
    expect(r.out).toContain(`kill ${pid}`);
    expect(r.starts).toHaveLength(0);
  });

  rootOnly('starts dockerd at once when the pid file names a process that is not dockerd', () => {
    writeFileSync(join(dir, 'docker.pid'), String(process.pid));
    const r = ensureDocker();
    expect(r.status).toBe(0);
    expect(r.out).not.toContain('not answering yet');
    expect(r.starts).toHaveLength(1);
  });
});
