import { exec } from '../src/infra/dockerExec';
import { httpGet, httpsGetThroughTerminator } from '../src/infra/wait';
import { httpsModeOf } from '../src/site/tls';
import { FailureType } from '../src/site/errors';
import { describeAnswer, describeExpectation, pageShows, pageTitle, titleText, type PageExpectation } from '../src/site/pageCheck';
import { profileOf } from '../src/site/platforms';
import type { SiteSpec } from '../src/site/spec';
import type { ActivityDeps } from './deps';
import { classified } from './failures';
import { pollUntil } from './polling';

/** Whether an answer meets the expectation; else what it was instead, for the message. */
function judge(e: PageExpectation, status: number, body: string): { ready: true } | { saw: string } {
  if (status === 200 && ('health' in e || pageShows(body, e.title))) return { ready: true };
  return { saw: describeAnswer(status, body) };
}

/**
 * The checks every operation ends with: does the site answer as it should, through Varnish or on
 * one container. What "should" is comes from the site as it is (its stored name, or what the live
 * container served before the change), never from the title frozen in its spec at creation.
 */
export function createSiteCheckActivities(deps: ActivityDeps) {
  const { docker, cfg } = deps;

  /** GET `path` on the container itself with the site's Host header. */
  async function getDirect(spec: SiteSpec, container: string, path: string): Promise<{ status: number; body: string }> {
    const r = await exec(docker, container, ['curl', '-sS', '-m', '20', '-H', `Host: ${spec.domains[0]}`, '-w', '\n%{http_code}', `http://127.0.0.1${path}`], { timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(`curl in ${container} exited ${r.exitCode}: ${r.stderr.trim().slice(0, 200)}`);
    const cut = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
  }

  const path = (spec: SiteSpec, e: PageExpectation) => ('health' in e ? profileOf(spec.platform).healthPath : '/');

  return classified({
    /** Through the host's Varnish with the site's Host header, until the answer meets `expect` or `timeoutMs` passes. */
    async checkSiteAnswers(spec: SiteSpec, expect: PageExpectation, timeoutMs = 60_000): Promise<{ status: number; ms: number }> {
      const started = Date.now();
      const p = path(spec, expect);
      await pollUntil(
        { what: `http://${spec.domains[0]}${p} through Varnish`, expected: describeExpectation(expect, p), deadlineMs: timeoutMs, intervalMs: 300, type: FailureType.RouteCheckFailed, step: `checking http://${spec.domains[0]}${p} through Varnish` },
        async (signal) => {
          let r = await httpGet(`http://127.0.0.1:${cfg.varnish.httpPort}${p}`, spec.domains[0], 10_000, signal);
          // a site with https: redirect and a live certificate answers HTTP with 301: check it where it redirects to
          if (r.status === 301 && httpsModeOf(spec) === 'redirect') r = await httpsGetThroughTerminator(cfg.tls.httpsPort, spec.domains[0]!, p);
          return judge(expect, r.status, r.body);
        },
      );
      return { status: 200, ms: Date.now() - started };
    },

    /** The same on one container, before traffic reaches it (an upgrade's new color); it already answered its health path, so a short deadline. */
    async checkWebDirect(spec: SiteSpec, container: string, expect: PageExpectation, timeoutMs = 10_000): Promise<void> {
      const p = path(spec, expect);
      await pollUntil(
        { what: `${container} answering ${p}`, expected: describeExpectation(expect, p), deadlineMs: timeoutMs, intervalMs: 500, type: FailureType.ContainerUnhealthy, step: `checking ${container} directly` },
        async () => {
          const r = await getDirect(spec, container, p);
          return judge(expect, r.status, r.body);
        },
      );
    },

    /**
     * What the live container serves now, before a change: its front page's title when it answers
     * 200 with one, else only the platform's health path (a site already broken cannot be held to more).
     */
    async siteServesNow(spec: SiteSpec, container: string): Promise<PageExpectation> {
      // A container that cannot be asked (exec or curl failing) throws and is asked again by the activity's
      // retries: only an answer that is not a titled 200 lowers the check to the health path.
      const r = await getDirect(spec, container, '/');
      const title = r.status === 200 ? pageTitle(r.body) : undefined;
      return title ? { title } : { health: true };
    },

    /** The site's name as its database stores it (WordPress blogname), read by the platform in `container`. */
    async storedSiteName(spec: SiteSpec, container: string): Promise<PageExpectation> {
      const profile = profileOf(spec.platform);
      if (!profile.siteName) return { health: true };
      const r = await exec(docker, container, profile.siteName, { user: profile.execUser, timeoutMs: 60_000 });
      const name = r.exitCode === 0 ? (JSON.parse(r.stdout) as unknown) : undefined;
      return typeof name === 'string' && titleText(name) ? { title: name } : { health: true };
    },
  });
}
