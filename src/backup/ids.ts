/**
 * Backup IDs: `YYYYMMDDTHHMMSSZ-xxxxxx`, the UTC start of the run that takes the backup and six
 * characters hashed from its run ID. Derived inside the workflow, so a retried activity or a
 * replayed workflow reuses the same ID and never makes a second backup. Pure: no Node built-ins,
 * since workflows import it.
 */
export function backupIdFor(startTime: Date, runId: string): string {
  const stamp = startTime.toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z';
  return `${stamp}-${shortHash(runId)}`;
}

/** When the backup was started, read from its ID; undefined for a string that is not a backup ID. */
export function backupTime(id: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[a-z0-9]{6}$/.exec(id);
  if (!m) return undefined;
  const t = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

/** FNV-1a (32 bit) in base 36: a stable short tag, not a security measure. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % 36 ** 6).toString(36).padStart(6, '0');
}
