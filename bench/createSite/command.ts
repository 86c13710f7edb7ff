import { spawn } from 'node:child_process';

/**
 * Runs an argv array (no shell) and returns its stdout; a non-zero exit fails naming the
 * command and the last line of its stderr.
 */
export function command(argv: string[], opts: { stdin?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const tail = Buffer.concat(err).toString('utf8').trim().split('\n').pop();
      reject(new Error(`${argv.slice(0, 3).join(' ')} exited ${code}: ${tail || 'no message'}`));
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** The `docker` CLI, as an operator's script would call it. */
export function docker(...args: string[]): Promise<string> {
  return command(['docker', ...args]);
}
