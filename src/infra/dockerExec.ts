import type Docker from 'dockerode';
import { PassThrough, type Readable } from 'node:stream';
import { dockerUnavailable } from './docker';
import { CommandError } from './errors';

/** Commands in running containers (`docker exec`): buffered, checked, or streamed. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Bytes written to the command's stdin, then closed. */
  stdin?: Buffer | string;
  user?: string;
  workingDir?: string;
  /** Non-secret environment only. */
  env?: string[];
  timeoutMs?: number;
}

/** Runs `argv` (no shell) in a running container and collects its output. */
export async function exec(docker: Docker, container: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const { stream, done } = await execStream(docker, container, argv, opts);
  const out: Buffer[] = [];
  stream.on('data', (b: Buffer) => out.push(b));
  const { exitCode, stderr } = await done;
  return { exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr };
}

/** Like {@link exec} but fails with a {@link CommandError} carrying the output tail on a non-zero exit. */
export async function execOk(docker: Docker, container: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const r = await exec(docker, container, argv, opts);
  if (r.exitCode !== 0) {
    const tail = tailOf(`${r.stdout}\n${r.stderr}`);
    throw new CommandError(`${argv[0]} ${argv[1] ?? ''} exited ${r.exitCode} in ${container}: ${tail.split('\n').pop()}`, r.exitCode, tail);
  }
  return r;
}

/** Empties a directory in a container (a volume mounted there), the directory itself kept: a retried step starts clean. */
export async function emptyDir(docker: Docker, container: string, dir: string): Promise<void> {
  await execOk(docker, container, ['find', dir, '-mindepth', '1', '-delete']);
}

export function tailOf(text: string, lines = 20): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

export interface ExecStream {
  /** The command's stdout. */
  stream: Readable;
  /** Resolves when the command ended, with its exit code and (bounded) stderr. */
  done: Promise<{ exitCode: number; stderr: string }>;
  execId: string;
}

/** Starts `argv` in a container and gives its stdout as a stream, for dumps that must not be buffered. */
export async function execStream(docker: Docker, container: string, argv: string[], opts: ExecOptions = {}): Promise<ExecStream> {
  let execObj: Docker.Exec;
  try {
    execObj = await docker.getContainer(container).exec({
      Cmd: argv,
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: opts.stdin !== undefined,
      User: opts.user,
      WorkingDir: opts.workingDir,
      Env: opts.env,
    });
  } catch (err) {
    throw dockerUnavailable(err) ?? err;
  }
  const raw = await execObj.start({ hijack: true, stdin: opts.stdin !== undefined });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let errText = '';
  stderr.on('data', (b: Buffer) => {
    errText = (errText + b.toString('utf8')).slice(-16_384);
  });
  docker.modem.demuxStream(raw, stdout, stderr);
  if (opts.stdin !== undefined) {
    raw.end(opts.stdin);
  }
  const done = new Promise<{ exitCode: number; stderr: string }>((resolve, reject) => {
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          raw.destroy();
          reject(new CommandError(`${argv[0]} in ${container} did not finish within ${opts.timeoutMs} ms`, null, tailOf(errText)));
        }, opts.timeoutMs)
      : undefined;
    const finish = async () => {
      if (timer) clearTimeout(timer);
      try {
        // The exec's exit code is set a moment after the stream ends.
        for (let i = 0; i < 50; i++) {
          const info = await execObj.inspect();
          if (!info.Running && info.ExitCode !== null) {
            stdout.end();
            stderr.end();
            resolve({ exitCode: info.ExitCode, stderr: errText });
            return;
          }
          await new Promise((r) => setTimeout(r, 20 * (i + 1)));
        }
        reject(new CommandError(`${argv[0]} in ${container}: exit code never reported`, null, tailOf(errText)));
      } catch (err) {
        reject(err as Error);
      }
    };
    raw.on('end', () => void finish());
    raw.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
  });
  return { stream: stdout, done, execId: execObj.id };
}
