import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError, type FieldError } from '../errors.ts';

/**
 * A minimal ustar reader and writer for template packages (`.tgz`): regular files and directories,
 * nothing else. An archive comes from outside, so the reader refuses whatever could write outside
 * the folder it is unpacked into (absolute paths, `..`, links) and whatever could exhaust memory
 * (too many entries, too many bytes) before it hands anything on.
 */

/** One file of an archive: its path (`/`-separated, relative, no `.` or `..`) and bytes. */
export interface TarFile {
  path: string;
  content: Buffer;
}

export interface TarContents {
  files: TarFile[];
  /** Directory entries, without the trailing `/`. */
  directories: string[];
}

export const TAR_LIMITS = Object.freeze({ entries: 200, unpackedBytes: 20 * 1024 * 1024 });

const BLOCK = 512;
/** The most an archive within the limits unpacks to: data, a header and padding per entry, the end. */
const MAX_TAR_BYTES = TAR_LIMITS.unpackedBytes + TAR_LIMITS.entries * 2 * BLOCK + 20 * BLOCK;
const GZIP_MAGIC = [0x1f, 0x8b];
const FILE_MODE = 0o644;
const DIRECTORY_MODE = 0o755;

/** The entry types other than files and directories, named for the refusal. */
const OTHER_TYPES: Readonly<Record<string, string>> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a named pipe',
  L: 'a GNU long name',
  K: 'a GNU long link name',
};

/** Pax headers (tar --format=pax; macOS tar keeping extended attributes): refused once, with the way out. */
const PAX_REFUSED: FieldError = {
  pointer: '',
  keyword: 'pax',
  message:
    'it has pax extended headers, which Attest does not read; pack the folder as plain ustar (tar --format=ustar -czf …)',
};

const refuse = (message: string, pointer = '', keyword = 'archive'): InputError =>
  new InputError(`The archive cannot be read: ${message}`, [{ pointer, keyword, message }]);

/**
 * Writes files and directories (named with or without a trailing `/`) as a gzip'd ustar archive that depends on nothing but its input:
 * entries sorted by path, mtime 0, uid and gid 0, mode 0644 (0755 for directories), no user names,
 * and the gzip header's operating system byte fixed, so the same package always gives the same bytes.
 */
export function writeTgz(files: readonly TarFile[], directories: readonly string[] = []): Buffer {
  const entries = [
    ...directories.map((path) => ({ name: `${path.replace(/\/+$/, '')}/`, content: null })),
    ...files.map((f) => ({ name: f.path, content: f.content })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const blocks: Buffer[] = [];
  for (const { name, content } of entries) {
    blocks.push(header(name, content));
    if (content) {
      blocks.push(content);
      const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
      if (padding > 0) blocks.push(Buffer.alloc(padding));
    }
  }
  blocks.push(Buffer.alloc(2 * BLOCK));
  const gzip = gzipSync(Buffer.concat(blocks), { level: 9 });
  gzip[9] = 0xff; // OS "unknown": zlib writes the platform it was built for
  return gzip;
}

function header(name: string, content: Buffer | null): Buffer {
  const block = Buffer.alloc(BLOCK);
  const [prefix, base] = splitName(name);
  block.write(base, 0, 100, 'utf8');
  octal(block, 100, 8, content ? FILE_MODE : DIRECTORY_MODE);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, content?.length ?? 0);
  octal(block, 136, 12, 0);
  block.write(content ? '0' : '5', 156, 1, 'ascii');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  block.fill(' ', 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

/** A ustar name is at most 100 bytes; a longer path puts its leading folders (≤ 155 bytes) in `prefix`. */
function splitName(name: string): [string, string] {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  const trailing = name.endsWith('/') ? 1 : 0;
  for (let i = name.indexOf('/'); i !== -1 && i < name.length - trailing; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const base = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100) return [prefix, base];
  }
  throw new RangeError(`The path ${name} is too long for a ustar archive`);
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}

/**
 * Reads a gzip'd ustar archive. Refuses, with an `InputError` naming the entry: anything that is not
 * gzip'd tar, entries that are neither files nor directories (links, devices, pax or GNU extension
 * headers), absolute paths and `..` segments, the same path twice, more than 200 entries and more than
 * 20 MB unpacked. Leading `./` segments are dropped, as `tar -C dir .` writes them.
 */
export function readTgz(archive: Buffer): TarContents {
  const tar = gunzip(archive);
  const files: TarFile[] = [];
  const directories: string[] = [];
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  let unpacked = 0;
  let count = 0;
  for (let offset = 0; offset + BLOCK <= tar.length;) {
    const block = tar.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const entry = readHeader(block, offset);
    count += 1;
    if (count > TAR_LIMITS.entries) {
      throw refuse(`it has more than ${TAR_LIMITS.entries} entries`, '', 'maxItems');
    }
    unpacked += entry.size;
    if (unpacked > TAR_LIMITS.unpackedBytes) {
      throw refuse(`it unpacks to more than ${TAR_LIMITS.unpackedBytes / 1024 / 1024} MB`, '', 'maxSize');
    }
    const start = offset + BLOCK;
    if (start + entry.size > tar.length) throw refuse(`the entry ${entry.name} is cut short`);
    offset = start + Math.ceil(entry.size / BLOCK) * BLOCK;

    const pointer = `/files/${entry.name}`;
    const other = OTHER_TYPES[entry.type];
    const isFile = entry.type === '0' || entry.type === '\0' || entry.type === '7';
    const isDirectory = entry.type === '5';
    if (entry.type === 'x' || entry.type === 'g') {
      if (!errors.some((e) => e.keyword === 'pax')) errors.push(PAX_REFUSED);
      continue;
    }
    if (!isFile && !isDirectory) {
      const what = other ?? `an entry of type "${entry.type}"`;
      errors.push({
        pointer,
        keyword: 'type',
        message: `${entry.name} is ${what}; a template archive holds only files and folders`,
      });
      continue;
    }
    const path = safePath(entry.name);
    if (typeof path !== 'string') {
      errors.push({ pointer, keyword: 'path', message: `${entry.name} ${path.problem}` });
      continue;
    }
    if (path === '') continue;
    if (seen.has(path)) {
      errors.push({ pointer, keyword: 'uniqueItems', message: `${entry.name} is in the archive twice` });
      continue;
    }
    seen.add(path);
    if (isDirectory) directories.push(path);
    else files.push({ path, content: Buffer.from(tar.subarray(start, start + entry.size)) });
  }
  if (errors.length > 0) {
    throw new InputError(`The archive cannot be read: ${errors.map((e) => e.message).join('; ')}`, errors);
  }
  return { files, directories };
}

function gunzip(archive: Buffer): Buffer {
  if (archive[0] !== GZIP_MAGIC[0] || archive[1] !== GZIP_MAGIC[1]) {
    throw refuse('it is not a gzip-compressed tar archive (.tgz)');
  }
  try {
    return gunzipSync(archive, { maxOutputLength: MAX_TAR_BYTES });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw refuse(`it unpacks to more than ${TAR_LIMITS.unpackedBytes / 1024 / 1024} MB`, '', 'maxSize');
    }
    throw refuse(`it is not valid gzip: ${(error as Error).message}`);
  }
}

interface Header {
  name: string;
  type: string;
  size: number;
}

function readHeader(block: Buffer, offset: number): Header {
  const magic = block.toString('latin1', 257, 263);
  if (!magic.startsWith('ustar')) throw refuse(`the block at byte ${offset} is not a ustar header`);
  const recorded = parseOctal(block, 148, 8);
  const sum = block.reduce((total, byte, i) => total + (i >= 148 && i < 156 ? 0x20 : byte), 0);
  if (recorded !== sum) throw refuse(`the header at byte ${offset} has a wrong checksum`);
  const base = text(block, 0, 100);
  // GNU tar's "ustar  " headers keep other things where POSIX keeps the prefix.
  const prefix = magic === 'ustar\0' ? text(block, 345, 155) : '';
  const name = prefix ? `${prefix}/${base}` : base;
  if (block[124]! & 0x80) throw refuse(`the entry ${name} is larger than an archive may be`, '', 'maxSize');
  const size = parseOctal(block, 124, 12);
  if (size === null) throw refuse(`the entry ${name} has no readable size`);
  return { name, type: String.fromCharCode(block[156]!), size };
}

function text(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end === -1 ? length : end);
}

function parseOctal(block: Buffer, offset: number, length: number): number | null {
  const digits = block
    .toString('latin1', offset, offset + length)
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]+$/.test(digits)) return null;
  return parseInt(digits, 8);
}

/** The entry's path without `./` segments and trailing `/`; or why it may not be unpacked. */
function safePath(name: string): string | { problem: string } {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    return { problem: 'is an absolute path; an archive holds relative paths only' };
  }
  if (name.includes('\\')) return { problem: 'has a backslash in its path' };
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { problem: 'has a ".." segment, which would leave the folder' };
  return segments.join('/');
}
