/** One replacement of a stored URL prefix. */
export interface UrlRewrite {
  from: string;
  to: string;
}

/**
 * What to replace so a migrated site's stored links point at `to`: each distinct old URL (from
 * `siteurl` and `home`), in its http and https forms, without a trailing slash. Longer URLs
 * first, so `http://a.example/blog` is replaced before `http://a.example`.
 */
export function urlRewritePlan(oldUrls: string[], to: string): UrlRewrite[] {
  const target = to.replace(/\/+$/, '');
  const froms = new Set<string>();
  for (const raw of oldUrls) {
    const url = raw.trim().replace(/\/+$/, '');
    if (!/^https?:\/\/[^/\s]+/i.test(url)) continue;
    const rest = url.replace(/^https?:\/\//i, '');
    for (const scheme of ['http://', 'https://']) {
      const candidate = scheme + rest;
      if (candidate !== target) froms.add(candidate);
    }
  }
  return [...froms].sort((a, b) => b.length - a.length).map((from) => ({ from, to: target }));
}
