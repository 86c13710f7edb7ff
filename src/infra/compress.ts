import { spawn } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Compression } from '../backup/layout';

/**
 * zstd level 1: about as small as gzip -6 and several times faster than gzip -1, so compressing
 * in the container where the dump is made costs less than sending the raw dump out of it.
 */
export const ZSTD_LEVEL = 1;

/**
 * `argv` run in a container with its stdout compressed there: only compressed bytes cross
 * dockerd's attach stream. The script is a constant and the command arrives as its positional
 * arguments, so nothing is ever parsed by the shell; pipefail makes the exit status the first
 * failure of the command or the compressor, never hidden by the pipe. The command keeps its own
 * argv (and its marker), so `ps` still finds it by name.
 */
export function compressedArgv(argv: string[], compression: Compression): string[] {
  const compressor = compression === 'zstd' ? `zstd -${ZSTD_LEVEL} -q -c` : 'gzip -1 -c';
  return ['bash', '-c', `set -o pipefail; "$@" | ${compressor}`, 'tutti-compress', ...argv];
}

/** `argv` run in a container reading the decompression of its stdin: the loader gets SQL, the wire carries the object as stored. */
export function decompressedArgv(argv: string[], compression: Compression): string[] {
  const decompressor = compression === 'zstd' ? 'zstd -d -q -c' : 'gzip -d -c';
  return ['bash', '-c', `set -o pipefail; ${decompressor} | "$@"`, 'tutti-decompress', ...argv];
}

/** A decompressor on this host as a duplex stream: zlib for gzip, `zstd -dc` for zstd (Node 20's zlib has none). */
export function decompressor(compression: Compression): Duplex {
  return compression === 'gzip' ? createGunzip() : zstdDecompressor();
}

/** `zstd -dc` on this host as a duplex stream. */
export function zstdDecompressor(): Duplex {
  const child = spawn('zstd', ['-dc', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  const out = new PassThrough();
  child.stdout.pipe(out, { end: false });
  child.on('error', (err) => out.destroy(new Error(`zstd is not available on this host (${err.message}); install the zstd package`)));
  child.on('close', (code) => (code === 0 ? out.end() : out.destroy(new Error(`zstd -d exited ${code}: ${stderr.trim().slice(-200)}`))));
  const duplex = Duplex.from({ writable: child.stdin, readable: out });
  duplex.on('close', () => child.kill('SIGKILL'));
  return duplex;
}
