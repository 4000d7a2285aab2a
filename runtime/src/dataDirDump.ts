/**
 * The embedded database's dump without what lives beside the database in its folder: PGlite tars
 * the whole data folder, and a backup must not carry the checkpoint signing key, the token secret,
 * the checkpoint sink or the folder's lock. Entries are dropped from the ustar stream as it is;
 * a pax or GNU long-name header goes with the entry it describes.
 */

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

/** The path of a tar entry without its leading `/` or `./`. */
const entryPath = (header: Buffer): string => {
  const name = field(header, 0, 100);
  const prefix = field(header, 345, 155);
  return (prefix ? `${prefix}/${name}` : name).replace(/^\.?\/+/, '');
};

/** `dropped(path)` decides for each entry path, relative to the data folder. */
export function filterTar(tar: Buffer, dropped: (path: string) => boolean): Buffer {
  const kept: Buffer[] = [];
  let pending: Buffer[] = [];
  let longName: string | null = null;
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const end = offset + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    const entry = tar.subarray(offset, end);
    const type = String.fromCharCode(header[156]!);
    offset = end;
    if (type === 'x' || type === 'L') {
      // Describes the next entry; a GNU long name is that entry's real path.
      if (type === 'L')
        longName = entry
          .subarray(BLOCK, BLOCK + size)
          .toString('utf8')
          .replace(/\0+$/, '');
      pending.push(entry);
      continue;
    }
    const path = (longName ?? entryPath(header)).replace(/^\.?\/+/, '');
    if (!dropped(path)) kept.push(...pending, entry);
    pending = [];
    longName = null;
  }
  kept.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(kept);
}
