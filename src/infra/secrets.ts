import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, open, readdir, readFile, rm, rename } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';

/**
 * Secrets live as 0600 files under one root outside workflow history; containers get them
 * as read-only bind mounts. Values are generated here, never passed in by callers.
 */
export class SecretStore {
  constructor(readonly root: string) {}

  path(rel: string): string {
    const p = normalize(join(this.root, rel));
    if (!p.startsWith(normalize(this.root) + '/')) throw new Error(`secret path ${rel} escapes the store`);
    return p;
  }

  /** Returns the secret, creating it with `generate()` the first time; safe under retries and races. */
  async ensure(rel: string, generate: () => string = () => generatePassword(), access?: FileAccess): Promise<string> {
    const existing = await this.read(rel);
    if (existing !== undefined) {
      if (access) await this.setAccess(rel, access);
      return existing;
    }
    const file = this.path(rel);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(generate());
      await fh.sync();
    } finally {
      await fh.close();
    }
    // link-like semantics: keep whichever value was there first
    const again = await this.read(rel);
    if (again !== undefined) {
      await rm(tmp, { force: true });
      return again;
    }
    await rename(tmp, file);
    if (access) await this.setAccess(rel, access);
    return (await this.read(rel))!;
  }

  /**
   * Lets one group (a container's web server user) read a secret, and enter its folder. Secrets
   * stay unreadable for everyone else on the host.
   */
  async setAccess(rel: string, access: FileAccess): Promise<void> {
    const file = this.path(rel);
    await chown(dirname(file), 0, access.gid);
    await chmod(dirname(file), 0o750);
    await chown(file, 0, access.gid);
    await chmod(file, 0o440);
  }

  /**
   * Replaces a secret's value (rotation) in one atomic rename: a reader (PHP in a container that
   * mounts the folder) sees the old or the new file, never a missing or half-written one. The new
   * file gets its owner and mode before it replaces the old one.
   */
  async write(rel: string, value: string, access?: FileAccess): Promise<void> {
    const file = this.path(rel);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(value);
      await fh.sync();
      if (access) {
        await fh.chown(0, access.gid);
        await fh.chmod(0o440);
      }
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  }

  async read(rel: string): Promise<string | undefined> {
    try {
      return (await readFile(this.path(rel), 'utf8')).trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Every secret value in the store, for scrubbing them out of error messages; never logged or returned to a workflow. */
  async values(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const p = join(dir, entry.name);
        if (entry.isDirectory()) await walk(p);
        else if (entry.isFile()) out.push((await readFile(p, 'utf8').catch(() => '')).trim());
      }
    };
    await walk(this.root);
    return out.filter((v) => v.length > 0);
  }

  async remove(rel: string): Promise<void> {
    await rm(this.path(rel), { recursive: true, force: true });
  }
}

export interface FileAccess {
  /** Group allowed to read: the file becomes root:gid 0440, its folder root:gid 0750. */
  gid: number;
}

/** 32 characters from [A-Za-z0-9]: safe in SQL strings, config files and URLs. */
export function generatePassword(length = 32): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length * 2);
  let out = '';
  for (const b of bytes) {
    if (b < 248) out += alphabet[b % 62];
    if (out.length === length) break;
  }
  return out;
}
