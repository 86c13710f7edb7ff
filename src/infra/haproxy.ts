import type Docker from 'dockerode';
import { execOk } from './dockerExec';
import { CommandError } from './errors';

const CRT_LIST = '/run/haproxy/crt-list';
const CERT_PATH = /^\/etc\/haproxy\/certs\/[a-z0-9-]+\.pem$/;

/**
 * HAProxy keeps one certificate transaction at a time: a second `set ssl cert` replaces the first
 * one's and its `commit` finds "No ongoing transaction". Changes to one terminator from this
 * process wait their turn here; one from another process is retried (the commit names it).
 */
const turns = new Map<string, Promise<unknown>>();
function inTurn<T>(container: string, fn: () => Promise<T>): Promise<T> {
  const run = (turns.get(container) ?? Promise.resolve()).then(fn);
  turns.set(container, run.catch(() => undefined));
  return run;
}

/**
 * HAProxy's runtime API over `docker exec` in the host's TLS terminator. Certificates change by
 * transactions (`set ssl cert` + `commit ssl cert`): the new one serves new handshakes while
 * established connections keep theirs, and there is no reload. The PEM (with its private key)
 * travels on the exec's stdin, never on a command line.
 */
export class Haproxy {
  constructor(
    private readonly docker: Docker,
    readonly container: string,
  ) {}

  private async api(command: string, payload?: string): Promise<string> {
    const stdin = payload === undefined ? `${command}\n` : `${command} <<\n${payload.trim()}\n\n`;
    const { stdout } = await execOk(this.docker, this.container, ['tutti-haproxy-api'], { stdin, timeoutMs: 30_000 });
    return stdout;
  }

  /** Paths of the certificates HAProxy serves (the self-signed default included). */
  async certificates(): Promise<string[]> {
    const out = await this.api('show ssl cert');
    return out.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('/'));
  }

  /**
   * Puts `pem` (chain and key) in place under `path`: a known certificate is swapped in one
   * commit; a new one is created, committed and added to the bind's crt-list, so SNI finds it.
   */
  async installCertificate(path: string, pem: string): Promise<'replaced' | 'added'> {
    if (!CERT_PATH.test(path)) throw new Error(`refusing certificate path ${JSON.stringify(path)}`);
    return inTurn(this.container, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.install(path, pem);
        } catch (err) {
          if (attempt >= 5 || !(err instanceof CommandError && /transaction/i.test(err.message))) throw err;
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    });
  }

  private async install(path: string, pem: string): Promise<'replaced' | 'added'> {
    const known = (await this.certificates()).includes(path);
    if (!known) expectOk(await this.api(`new ssl cert ${path}`), 'new ssl cert', /New empty certificate store|already exists/i);
    try {
      expectOk(await this.api(`set ssl cert ${path}`, pem), 'set ssl cert', /Transaction (created|updated)/i);
      expectOk(await this.api(`commit ssl cert ${path}`), 'commit ssl cert', /Success!/);
    } catch (err) {
      await this.api(`abort ssl cert ${path}`).catch(() => undefined);
      throw err;
    }
    if (!known) {
      const listed = await this.api(`show ssl crt-list ${CRT_LIST}`);
      if (!listed.split('\n').some((l) => l.trim().startsWith(path))) expectOk(await this.api(`add ssl crt-list ${CRT_LIST} ${path}`), 'add ssl crt-list', /Success!/);
    }
    return known ? 'replaced' : 'added';
  }

  /** Stops serving a site's certificate (its site is gone); absent already is fine. */
  async removeCertificate(path: string): Promise<boolean> {
    if (!CERT_PATH.test(path)) throw new Error(`refusing certificate path ${JSON.stringify(path)}`);
    return inTurn(this.container, async () => {
      if (!(await this.certificates()).includes(path)) return false;
      await this.api(`del ssl crt-list ${CRT_LIST} ${path}`);
      expectOk(await this.api(`del ssl cert ${path}`), 'del ssl cert', /deleted|Success/i);
      return true;
    });
  }
}

function expectOk(out: string, what: string, ok: RegExp): void {
  if (!ok.test(out)) throw new CommandError(`HAProxy ${what} failed: ${out.trim().split('\n').slice(-3).join(' ')}`, 1, out.slice(-2000));
}
