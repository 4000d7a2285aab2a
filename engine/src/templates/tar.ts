import { gunzipSync, gzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { InputError, type FieldError } from '../kernel/errors.ts';

/**
 * The reader and writer of template packages (`.tgz`): regular files and directories, nothing
 * else. The writer is our own, so that a package always gives the same bytes; the reader is
 * node-tar's parser, behind our guard. An archive comes from outside, so the reader refuses whatever could write outside
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
/**
 * The most an archive within the limits unpacks to: data, and per entry its header, padding and
 * up to 3 KB of pax or long-name headers; then the end.
 */
const MAX_TAR_BYTES = TAR_LIMITS.unpackedBytes + TAR_LIMITS.entries * 8 * BLOCK + 20 * BLOCK;
const GZIP_MAGIC = [0x1f, 0x8b];
const FILE_MODE = 0o644;
const DIRECTORY_MODE = 0o755;

/** The entry types other than files and directories, named for the refusal. */
const OTHER_TYPES: Readonly<Record<string, string>> = {
  Link: 'a hard link',
  SymbolicLink: 'a symbolic link',
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a named pipe',
  SparseFile: 'a sparse file',
  GNUDumpDir: 'a GNU dump folder',
  ContinuationFile: 'a part of a multi-volume archive',
};
const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
/** Pax and GNU long-name headers are a few lines of text; more is not an archive of templates. */
const MAX_META_BYTES = 64 * 1024;
/** The header of an AppleDouble file (`._name`), in which macOS tar stores a file's extended attributes. */
const APPLE_DOUBLE = Buffer.from([0x00, 0x05, 0x16, 0x07]);

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
 * Reads a gzip'd tar archive as tar writes it: ustar, pax (`tar --format=pax`, macOS tar) and GNU
 * long names, through node-tar's parser. Refuses, with an `InputError` naming the entry: anything
 * that is not gzip'd tar or is corrupt, entries that are neither files nor directories (links,
 * devices), absolute paths and `..` segments, the same path twice, more than 200 entries and more
 * than 20 MB unpacked. Leading `./` segments are dropped, as `tar -C dir .` writes them, and the
 * AppleDouble files (`._name`) in which macOS tar keeps extended attributes are left out: they are
 * the file system's, not the package's.
 */
export function readTgz(archive: Buffer): TarContents {
  const tar = gunzip(archive);
  const files: TarFile[] = [];
  const directories: string[] = [];
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  let unpacked = 0;
  let count = 0;
  let failure: InputError | null = null;

  const parser = new Parser({ strict: true, maxMetaEntrySize: MAX_META_BYTES });
  parser.on('error', (error: Error & { header?: { type?: string; path?: string } }) => {
    // A link without a target is refused for being a link, as one with a target is.
    const { type, path } = error.header ?? {};
    if (type && path && OTHER_TYPES[type]) errors.push(otherType(path, type));
    else failure ??= refuse(describe(error));
  });
  parser.on('entry', (entry: ReadEntry) => {
    entry.resume();
    if (failure) return;
    count += 1;
    unpacked += entry.size;
    if (count > TAR_LIMITS.entries) {
      failure = refuse(`it has more than ${TAR_LIMITS.entries} entries`, '', 'maxItems');
      return;
    }
    if (unpacked > TAR_LIMITS.unpackedBytes) {
      failure = refuse(`it unpacks to more than ${TAR_LIMITS.unpackedBytes / 1024 / 1024} MB`, '', 'maxSize');
      return;
    }
    const name = entry.path;
    const pointer = `/files/${name}`;
    const isFile = FILE_TYPES.has(entry.type);
    if (!isFile && entry.type !== 'Directory') {
      errors.push(otherType(name, entry.type));
      return;
    }
    const path = safePath(name);
    if (typeof path !== 'string') {
      errors.push({ pointer, keyword: 'path', message: `${name} ${path.problem}` });
      return;
    }
    if (path === '') return;
    if (seen.has(path)) {
      errors.push({ pointer, keyword: 'uniqueItems', message: `${name} is in the archive twice` });
      return;
    }
    seen.add(path);
    if (!isFile) {
      directories.push(path);
      return;
    }
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => {
      const content = Buffer.concat(chunks);
      if (isAppleDouble(path, content)) return;
      files.push({ path, content });
    });
  });
  // The parser works through a buffer synchronously: every entry has been read when `end` returns.
  parser.end(tar);
  if (failure) throw failure;
  if (errors.length > 0) {
    throw new InputError(`The archive cannot be read: ${errors.map((e) => e.message).join('; ')}`, errors);
  }
  return { files, directories };
}

const otherType = (name: string, type: string): FieldError => ({
  pointer: `/files/${name}`,
  keyword: 'type',
  message: `${name} is ${OTHER_TYPES[type] ?? `an entry of type "${type}"`}; a template archive holds only files and folders`,
});

/** node-tar's complaint, in the words of the refusal. */
function describe(error: Error & { tarCode?: string }): string {
  const message = error.message.replace(/^TAR_[A-Z_]+: /, '');
  if (/checksum/.test(message)) return 'a header has a wrong checksum';
  if (/^Truncated input/.test(message)) return `it is cut short (${message})`;
  if (/^Unrecognized archive format/.test(message)) return 'what the gzip holds is not a tar archive';
  return message;
}

const isAppleDouble = (path: string, content: Buffer) =>
  (path.split('/').at(-1) ?? '').startsWith('._') && content.subarray(0, 4).equals(APPLE_DOUBLE);

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
