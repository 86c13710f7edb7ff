import type Docker from 'dockerode';
import { exec, execOk } from './docker';

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

  /** The VCLs Varnish has loaded: name, state and whether it is the active one. */
  async listVcls(): Promise<{ name: string; active: boolean; state: string }[]> {
    const { stdout } = await this.adm(['vcl.list']);
    return stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((cols) => cols.length >= 4)
      .map((cols) => ({ active: cols[0] === 'active', state: cols[1]!, name: cols[cols.length - 1]! }));
  }

  /**
   * Loads `vcl` under `name`, makes it the active configuration, then discards every other
   * Tutti VCL. A VCL that does not compile leaves the active one in place.
   */
  async switchTo(name: string, vcl: string): Promise<void> {
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsafe VCL name ${name}`);
    const path = `/etc/varnish/tutti/${name}.vcl`;
    await execOk(this.docker, this.container, ['tee', path], { stdin: vcl });
    const loaded = await this.listVcls();
    if (!loaded.some((v) => v.name === name)) await this.adm(['vcl.load', name, path]);
    await this.adm(['vcl.use', name]);
    for (const v of await this.listVcls()) {
      if (!v.active && v.name.startsWith('tutti_')) {
        await exec(this.docker, this.container, ['tutti-varnishadm', 'vcl.discard', v.name]);
        await exec(this.docker, this.container, ['rm', '-f', `/etc/varnish/tutti/${v.name}.vcl`]);
      }
    }
  }
}
