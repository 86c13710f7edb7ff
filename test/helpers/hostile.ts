/**
 * Hostile inputs, by what they try to break. Identifiers (slugs, domains, images, hosts, backup
 * IDs) must refuse every one of them; free text (titles, names) only what is invisible,
 * reordering, malformed or too long.
 */
export const HOSTILE = {
  sql: ["x`; DROP DATABASE tutti; --", "a' OR '1'='1", 'a_%', 'acme\\', "tutti_acme'@'%"],
  shell: ['$(id)', '`id`', 'a;rm -rf /', 'a|cat /etc/passwd', 'a&&b', '-rf', '--help', 'a b', 'a\nb', '~root'],
  vcl: ['a.example"; } sub vcl_recv { return (synth(200)); } #', 'a.example\nimport std;', 'a.example{', 'a.example"'],
  path: ['../../etc/passwd', '/etc/passwd', 'a/../b', 'a\u0000b', '..', './a', 'a/b'],
  url: ['file:///etc/passwd', 'http://169.254.169.254/latest/meta-data/', 'http://user:pw@a.example/x', 'javascript:alert(1)', 'gopher://a.example/'],
  long: ['a'.repeat(10_000), `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.example`],
  unicode: ['\u0430cme', 'acme\u202e', 'ac\u200bme', '\uff41\uff43\uff4d\uff45', 'acme\u{1f600}', '\ud800', 'ac\u0301me', ''],
};

export const HOSTILE_IDENTIFIERS: string[] = Object.values(HOSTILE).flat();

/** Free text may hold quotes, semicolons and any script (it reaches SQL as a parameter and commands as one argv entry), but not these. */
export const HOSTILE_TEXT: string[] = ['', 'x'.repeat(10_000), 'a\nb', 'a\u0000b', 'tab\there', 'acme\u202egnp.exe', 'ac\u200bme', '\ud800', 'bell\u0007', 'esc\u001b[31mred', ' padded '];

/** Numbers that are not what a count or a number of seconds may be. */
export const HOSTILE_NUMBERS: unknown[] = [-1, 1e12, 1.5, '10', null, true, [], {}];

/** Inputs that are not the JSON object a workflow takes. */
export const NOT_AN_OBJECT: unknown[] = [null, [], 'acme', 42, true];
