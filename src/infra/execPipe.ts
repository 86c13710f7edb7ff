import type Docker from 'dockerode';
import { Transform, type Duplex, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { dockerUnavailable } from './docker';
import { tailOf } from './dockerExec';
import { CommandError } from './errors';

/**
 * A command in a container with its stdout as a stream that respects backpressure (dockerode's
 * demuxStream does not: a slow reader would buffer the whole dump in memory) and, optionally,
 * its stdin as a writable stream. For dumps and restores of any size with flat memory.
 */
export interface ExecPipe {
  stdout: Readable;
  /** The command's stdin when requested; end it to close the command's stdin. */
  stdin: Writable | undefined;
  /** Exit code and stderr tail once the command ended. */
  done: Promise<{ exitCode: number; stderr: string }>;
  /** Drops the connection (the command may live on in the container; callers stop it by name). */
  destroy(err?: Error): void;
}

export async function execPipe(docker: Docker, container: string, argv: string[], opts: { stdin?: boolean; user?: string } = {}): Promise<ExecPipe> {
  let execObj: Docker.Exec;
  let raw: Duplex;
  try {
    execObj = await docker.getContainer(container).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, AttachStdin: !!opts.stdin, User: opts.user });
    raw = (await execObj.start({ hijack: true, stdin: !!opts.stdin })) as Duplex;
  } catch (err) {
    throw dockerUnavailable(err) ?? err;
  }
  let stderr = '';
  const demux = new DockerDemux((b) => {
    stderr = (stderr + b.toString('utf8')).slice(-16_384);
  });
  raw.pipe(demux);
  raw.on('error', (err) => demux.destroy(err));
  const done = new Promise<{ exitCode: number; stderr: string }>((resolve, reject) => {
    demux.once('error', reject);
    raw.once('end', () => {
      void (async () => {
        // The exec's exit code is set a moment after its stream ends.
        for (let i = 0; i < 50; i++) {
          const info = await execObj.inspect().catch(() => undefined);
          if (info && !info.Running && info.ExitCode !== null) return resolve({ exitCode: info.ExitCode, stderr });
          await new Promise((r) => setTimeout(r, 20 * (i + 1)));
        }
        reject(new CommandError(`${argv[0]} in ${container}: exit code never reported`, null, tailOf(stderr)));
      })();
    });
  });
  done.catch(() => undefined); // observed by the caller; never an unhandled rejection
  return {
    stdout: demux,
    stdin: opts.stdin ? raw : undefined,
    done,
    destroy(err) {
      raw.destroy(err);
      demux.destroy(err);
    },
  };
}

/**
 * Docker's multiplexed attach stream: 8-byte headers (stream type, 0, 0, 0, length) followed by
 * the payload. Stdout payloads are pushed, stderr ones handed to `onStderr`.
 */
export class DockerDemux extends Transform {
  private header = Buffer.alloc(8);
  private headerLen = 0;
  private remaining = 0;
  private stream = 0;

  constructor(private readonly onStderr: (b: Buffer) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.remaining === 0) {
        const n = Math.min(8 - this.headerLen, chunk.length - pos);
        chunk.copy(this.header, this.headerLen, pos, pos + n);
        this.headerLen += n;
        pos += n;
        if (this.headerLen < 8) break;
        this.headerLen = 0;
        this.stream = this.header[0]!;
        this.remaining = this.header.readUInt32BE(4);
        if (this.stream > 2) return callback(new Error(`docker attach stream out of step (stream type ${this.stream})`));
        continue;
      }
      const n = Math.min(this.remaining, chunk.length - pos);
      const payload = chunk.subarray(pos, pos + n);
      if (this.stream === 2) this.onStderr(payload);
      else this.push(payload);
      this.remaining -= n;
      pos += n;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    callback(this.remaining > 0 || this.headerLen > 0 ? new Error('docker attach stream ended inside a frame') : null);
  }
}
