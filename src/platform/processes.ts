import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';

/** A long-running host process Tutti starts (Temporal dev server, MinIO, the worker). */
export interface ServiceProcess {
  name: string;
  command: string;
  args: string[];
  /** Extra environment (the process inherits the rest). */
  env?: Record<string, string>;
  cwd?: string;
  /** A string unique to this process's command line, to tell it from a recycled PID. */
  marker: string;
  pidFile: string;
  logFile: string;
  /** 127.0.0.1 ports the process must own; checked before start, awaited after. */
  ports: number[];
  readyTimeoutMs?: number;
}

export class PlatformError extends Error {
  override name = 'PlatformError';
}

export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** The PID recorded for `svc` if that process is alive and still runs its command. */
export async function runningPid(svc: ServiceProcess): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(svc.pidFile, 'utf8')).trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    process.kill(pid, 0);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(svc.marker) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export type StartOutcome = { state: 'already-running' | 'started'; pid: number };

/**
 * Starts the process detached, logging to its log file, unless it already runs. A port held by
 * anything else is a one-line error naming the port and the way out.
 */
/**
 * Fails on the first port of these services (those not running already) that another process
 * holds. `platform up` checks all of its processes first, so a taken port starts nothing.
 */
export async function requireFreePorts(services: { svc: ServiceProcess; portHint: string }[]): Promise<void> {
  for (const { svc, portHint } of services) {
    if (await runningPid(svc)) continue;
    for (const port of svc.ports) {
      if (await portAnswers(port)) throw new PlatformError(`${svc.name}: port 127.0.0.1:${port} is taken by another process; stop it (ss -ltnp 'sport = :${port}') or ${portHint}`);
    }
  }
}

export async function ensureProcess(svc: ServiceProcess, portHint: string): Promise<StartOutcome> {
  const pid = await runningPid(svc);
  if (pid) return { state: 'already-running', pid };
  await requireFreePorts([{ svc, portHint }]);
  await mkdir(dirname(svc.logFile), { recursive: true });
  await mkdir(dirname(svc.pidFile), { recursive: true });
  const log = openSync(svc.logFile, 'a');
  const child = spawn(svc.command, svc.args, {
    cwd: svc.cwd,
    env: { ...process.env, ...svc.env },
    detached: true,
    stdio: ['ignore', log, log],
  });
  if (!child.pid) throw new PlatformError(`${svc.name}: could not start ${svc.command}`);
  child.unref();
  await writeFile(svc.pidFile, String(child.pid));
  const deadline = Date.now() + (svc.readyTimeoutMs ?? 60_000);
  for (const port of svc.ports) {
    while (!(await portAnswers(port))) {
      // The child we spawned is the one to ask: right after spawn its /proc cmdline can still be the
      // parent's (fork before exec), which runningPid's marker check would read as "not running".
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new PlatformError(`${svc.name} exited during start; see ${svc.logFile}: ${lastLine(svc.logFile)}`);
      }
      if (Date.now() > deadline) throw new PlatformError(`${svc.name}: port ${port} not answering after ${svc.readyTimeoutMs ?? 60_000} ms; see ${svc.logFile}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { state: 'started', pid: child.pid };
}

function lastLine(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-1)[0] ?? '';
  } catch {
    return '';
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. Returns whether something was running. */
export async function stopProcess(svc: ServiceProcess, graceMs = 15_000): Promise<boolean> {
  const pid = await runningPid(svc);
  if (!pid) {
    await rm(svc.pidFile, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await rm(svc.pidFile, { force: true });
  return true;
}
