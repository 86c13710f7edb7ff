/** One ustar header (+ data, padded) as tar would write it: hand-made archives for hostile cases. */
export function tarEntry(name: string, opts: { type?: string; link?: string; data?: string } = {}): Buffer {
  const h = Buffer.alloc(512);
  const data = Buffer.from(opts.data ?? '');
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write(opts.type ?? '0', 156);
  h.write(opts.link ?? '', 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** Entries followed by the two end-of-archive blocks. */
export const tarOf = (...entries: Buffer[]) => Buffer.concat([...entries, Buffer.alloc(1024)]);
