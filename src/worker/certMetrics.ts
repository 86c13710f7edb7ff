import type { Logger, MetricMeter } from '@temporalio/common';
import { listCertificates } from '../infra/certRegistry';
import type { Db } from '../infra/mariadb';
import { listSites } from '../infra/registry';
import { httpsModeOf, type CertificateRecord } from '../site/tls';

/** What the certificate gauges of one HTTPS site say: days left (-Inf without a certificate) and whether the last attempt failed. */
export function certificateGauges(cert: CertificateRecord | undefined, now: Date): { days: number; failing: 0 | 1 } {
  const days = cert?.notAfter ? Math.round(((Date.parse(cert.notAfter) - now.getTime()) / 86_400_000) * 100) / 100 : Number.NEGATIVE_INFINITY;
  return { days, failing: cert?.lastError ? 1 : 0 };
}

/**
 * `tutti_certificate_expiry_days{site}` and `tutti_certificate_renewal_failing{site,domain}` for the
 * HTTPS sites on this host, from the registry, every `refreshSeconds`.
 */
export class CertificateMetrics {
  private readonly days;
  private readonly failing;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: { meter: MetricMeter; logger: Logger; db: () => Db; hostName: string; refreshSeconds: number }) {
    this.days = opts.meter.createGauge('tutti_certificate_expiry_days', 'float', 'd', "Days until the site's certificate ends; -Inf when it has none");
    this.failing = opts.meter.createGauge('tutti_certificate_renewal_failing', 'int', undefined, "1 when the last issue or renewal of the site's certificate failed (label domain: the name the ACME server refused)");
  }

  start(): void {
    const loop = async () => {
      await this.refresh();
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.opts.refreshSeconds * 1000).unref();
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      const certs = new Map((await listCertificates(this.opts.db())).map((c) => [c.slug, c]));
      const now = new Date();
      for (const s of await listSites(this.opts.db(), this.opts.hostName)) {
        if (s.status !== 'active' || httpsModeOf(s.spec) === 'off') continue;
        const cert = certs.get(s.spec.slug);
        const g = certificateGauges(cert, now);
        this.days.set(g.days, { site: s.spec.slug });
        this.failing.set(g.failing, { site: s.spec.slug, domain: cert?.failedDomain ?? '' });
      }
    } catch (err) {
      this.opts.logger.warn('certificate metrics: refresh failed; gauges keep their last values', { error: err });
    }
  }
}
