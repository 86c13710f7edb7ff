import type Docker from 'dockerode';
import { exec, execOk } from './dockerExec';
import { ACME_CHALLENGE_DIR } from '../site/tls';
import { CommandError } from './errors';

const ACME_TOKEN = /^[A-Za-z0-9_-]{1,128}$/;
const ACME_KEY_AUTH = /^[A-Za-z0-9_-]{1,128}\.[A-Za-z0-9_-]{1,128}$/;

/** varnishadm over `docker exec` in the host's Varnish container. */
export class Varnish {
  constructor(
    private readonly docker: Docker,
    readonly container: string,
  ) {}

  private adm(args: string[]) {
    return execOk(this.docker, this.container, ['tutti-varnishadm', ...args], { timeoutMs: 30_000 });
  }

  async version(): Promise<string> {
    const r = await exec(this.docker, this.container, ['varnishd', '-V']);
    return (r.stderr || r.stdout).split('\n')[0]?.trim() ?? 'unknown';
  }

  async ping(): Promise<void> {
    await this.adm(['ping']);
  }

  /** The VCLs Varnish knows: name and status (active, available, or discarded while still referenced). */
  async listVcls(): Promise<{ name: string; status: string }[]> {
    const { stdout } = await this.adm(['vcl.list']);
    return stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((cols) => cols.length >= 4)
      .map((cols) => ({ status: cols[0]!, name: cols[cols.length - 1]! }));
  }

  async activeName(): Promise<string | undefined> {
    return (await this.listVcls()).find((v) => v.status === 'active')?.name;
  }

  /**
   * Makes Varnish answer `/.well-known/acme-challenge/<token>` with `keyAuthorization`, with no
   * VCL change: the file is written beside and renamed into place, so the VCL's `std.fileread`
   * (which keeps what it read for the VCL's lifetime) never sees half of it. Neither value is a
   * secret (RFC 8555 §8.3: the answer is served to anyone who asks).
   */
  async putChallenge(token: string, keyAuthorization: string): Promise<void> {
    if (!ACME_TOKEN.test(token) || !ACME_KEY_AUTH.test(keyAuthorization)) throw new Error(`refusing ACME challenge ${JSON.stringify(token)}`);
    const script = `set -e; umask 022; mkdir -p ${ACME_CHALLENGE_DIR}; cat > ${ACME_CHALLENGE_DIR}/.$1.tmp; mv -f ${ACME_CHALLENGE_DIR}/.$1.tmp ${ACME_CHALLENGE_DIR}/$1`;
    await execOk(this.docker, this.container, ['sh', '-c', script, 'tutti-acme', token], { stdin: keyAuthorization, timeoutMs: 30_000 });
  }

  /**
   * Removes a challenge's file. Varnish may keep answering it from memory until the next VCL
   * load; the token is single-use, so a late answer validates nothing.
   */
  async removeChallenge(token: string): Promise<void> {
    if (!ACME_TOKEN.test(token)) throw new Error(`refusing ACME challenge ${JSON.stringify(token)}`);
    await execOk(this.docker, this.container, ['rm', '-f', `${ACME_CHALLENGE_DIR}/${token}`], { timeoutMs: 30_000 });
  }

  /**
   * Loads `vcl` under `name`, makes it the active configuration, then discards every other
   * Tutti VCL. A VCL that does not compile leaves the active one in place.
   */
  async switchTo(name: string, vcl: string): Promise<string> {
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsafe VCL name ${name}`);
    const loaded = await this.listVcls();
    const same = loaded.find((v) => v.name === name);
    if (same?.status === 'active') return name;
    // a VCL being discarded keeps its name until its last request ends: load under a fresh one
    const use = same && same.status !== 'available' ? `${name}_${Date.now().toString(36)}` : name;
    if (!same || use !== name) {
      const path = `/etc/varnish/tutti/${use}.vcl`;
      await execOk(this.docker, this.container, ['tee', path], { stdin: vcl });
      await this.adm(['vcl.load', use, path]).catch((err: unknown) => {
        // loaded meanwhile by another caller with the same content: that is what we wanted
        if (!(err instanceof CommandError && /already a vcl/i.test(err.outputTail))) throw err;
      });
    }
    await this.adm(['vcl.use', use]);
    for (const v of await this.listVcls()) {
      if (v.status === 'available' && v.name.startsWith('tutti_')) {
        await exec(this.docker, this.container, ['tutti-varnishadm', 'vcl.discard', v.name]);
        await exec(this.docker, this.container, ['rm', '-f', `/etc/varnish/tutti/${v.name}.vcl`]);
      }
    }
    return use;
  }
}
