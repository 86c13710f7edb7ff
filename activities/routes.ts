import { connectNetwork, inspectContainer } from '../src/infra/docker';
import { listCertificates } from '../src/infra/certRegistry';
import { listSites } from '../src/infra/registry';
import { httpsModeOf } from '../src/site/tls';
import { siteNames } from '../src/site/names';
import { profileOf } from '../src/site/platforms';
import { renderVcl, vclName, type Route } from '../src/site/vcl';
import type { ActivityDeps } from './deps';
import { classified } from './failures';

/** Varnish routing of one host, always rebuilt whole from the registry: the same state gives the same VCL. */
export function createRouteActivities(deps: ActivityDeps) {
  const { docker, cfg, varnish } = deps;
  // Syncs of one host run one at a time in this worker, so an older rendering never lands last.
  let queue: Promise<unknown> = Promise.resolve();

  async function desiredVcl(host: string): Promise<{ vcl: string; routed: string[] }> {
    const routes: Route[] = [];
    const certified = new Set((await listCertificates(deps.db())).filter((c) => c.notAfter && Date.parse(c.notAfter) > Date.now()).map((c) => c.slug));
    for (const site of await listSites(deps.db(), host)) {
      if (!site.activeContainer || site.status === 'deleting') continue;
      const info = await inspectContainer(docker, site.activeContainer);
      if (!info?.State.Running) continue; // a VCL naming a missing host would not compile
      await connectNetwork(docker, siteNames(cfg.prefix, site.spec.slug).network, varnish.container);
      const https = httpsModeOf(site.spec);
      routes.push({
        slug: site.spec.slug,
        domains: site.spec.domains,
        backendHost: site.activeContainer,
        healthPath: profileOf(site.spec.platform).healthPath,
        // only to a certificate that is live: a redirect to a failing handshake would take the site down
        redirectToHttps: https === 'redirect' && certified.has(site.spec.slug),
        hsts: https !== 'off' && !!site.spec.hsts && certified.has(site.spec.slug),
      });
    }
    const vcl = renderVcl(routes, { httpsPort: cfg.tls.httpsPort });
    return { vcl, routed: routes.map((r) => r.slug) };
  }

  async function sync(host: string): Promise<{ vcl: string; routed: string[] }> {
    // Another worker process may switch in between: switch until what is active matches the
    // registry as read after the switch, so the last writer always leaves the current state.
    for (let attempt = 0; attempt < 5; attempt++) {
      const want = await desiredVcl(host);
      await varnish.switchTo(vclName(want.vcl), want.vcl);
      const now = await desiredVcl(host);
      const active = await varnish.activeName();
      if (now.vcl === want.vcl && active?.startsWith(vclName(want.vcl))) return { vcl: active, routed: want.routed };
    }
    throw new Error(`routes of host ${host} kept changing during 5 switches; retrying`);
  }

  return classified({
    /**
     * Renders the VCL from the sites on this host that have a live web container, loads it if it
     * is new, switches to it and discards older ones. Returns the active VCL's name and routed slugs.
     */
    async syncRoutes(host: string): Promise<{ vcl: string; routed: string[] }> {
      const run = queue.then(() => sync(host));
      queue = run.catch(() => undefined);
      return run;
    },
  });
}
