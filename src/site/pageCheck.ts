/**
 * What a check expects of a site's front page, and the one rule that compares a title with a
 * page: both sides are decoded to plain text first. WordPress stores titles HTML-escaped
 * (`Men&#039;s`), prints them as stored, and texturizes dashes and quotes (`&#8211;`); comparing
 * decoded text means a title is never escaped twice and an entity never differs from its character.
 */
export type PageExpectation =
  /** 200 and the page's title shows this text (decoded or not: both forms compare equal). */
  | { title: string }
  /** The platform's health path answers 200: for a site whose front page cannot be known. */
  | { health: true };

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0',
  // what WordPress itself prints in titles: separators and texturized punctuation
  rsaquo: '\u203a', lsaquo: '\u2039', raquo: '\u00bb', laquo: '\u00ab', ndash: '\u2013', mdash: '\u2014',
  hellip: '\u2026', lsquo: '\u2018', rsquo: '\u2019', ldquo: '\u201c', rdquo: '\u201d', copy: '\u00a9', reg: '\u00ae',
};

/**
 * Decodes the character references WordPress and browsers write in titles: numeric ones
 * (`&#039;`, `&#x27;`, `&#8211;`) and the few named ones esc_html produces. An unknown name stays as is.
 */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});/g, (whole, ref: string) => {
    if (ref[0] !== '#') return NAMED[ref] ?? whole;
    const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** Plain text of a title as a reader sees it: entities decoded, whitespace collapsed. */
export function titleText(text: string): string {
  return decodeEntities(text).replace(/\s+/g, ' ').trim();
}

/** The text of the page's `<title>` element, decoded; undefined when it has none. */
export function pageTitle(html: string): string | undefined {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return m ? titleText(m[1]!) : undefined;
}

/** Whether `body` (an HTTP 200 page) shows `title`: in its `<title>`, or anywhere when it has none. */
export function pageShows(body: string, title: string): boolean {
  const want = titleText(title);
  const shown = pageTitle(body) ?? titleText(body);
  return shown.includes(want);
}

/** What a page was, for an "expected …, saw …" message: status and title, or a short excerpt. */
export function describeAnswer(status: number, body: string): string {
  const title = pageTitle(body);
  if (title !== undefined) return `HTTP ${status} titled ${JSON.stringify(title.slice(0, 120))}`;
  const text = titleText(body.replace(/<[^>]*>/g, ' '));
  return `HTTP ${status}${text ? ` saying ${JSON.stringify(text.slice(0, 120))}` : ' with an empty body'}`;
}

export function describeExpectation(e: PageExpectation, healthPath: string): string {
  return 'title' in e ? `HTTP 200 showing the title ${JSON.stringify(titleText(e.title))}` : `HTTP 200 from ${healthPath}`;
}
