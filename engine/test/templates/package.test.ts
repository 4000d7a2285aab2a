import assert from 'node:assert/strict';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError } from '../../src/kernel/errors.ts';
import {
  folderHash,
  formatNumber,
  packageFiles,
  packageHash,
  parseNumbering,
  readPackageDir,
  readPackageTgz,
  validateManifest,
  writePackageDir,
  writePackageTgz,
  type TemplateManifest,
  type TemplatePackage,
} from '../../src/templates/package.ts';
import { Header, type HeaderData } from 'tar';
import { readTgz, writeTgz, type TarFile } from '../../src/templates/tar.ts';
import { fixturePackage, manifest, tempDirs } from './fixturePackage.ts';

/** The InputError a call is refused with; fails when it succeeds or fails otherwise. */
async function refusal(run: () => unknown): Promise<InputError> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, 'it was not refused');
  assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
  return error;
}

/** Each problem as `pointer keyword`, sorted. */
const problems = (error: InputError) => error.errors.map((e) => `${e.pointer} ${e.keyword}`).sort();

/** The pointers and keywords a manifest is refused with. */
async function manifestProblems(changes: Record<string, unknown>): Promise<string[]> {
  return problems(await refusal(() => validateManifest({ ...manifest(), ...changes })));
}

/** The package's files, as an archive with them under `root` (`''`: at the archive's root). */
const archive = (pkg: TemplatePackage, root: string, extra: TarFile[] = []) =>
  writeTgz([...packageFiles(pkg).map((f) => ({ path: `${root}${f.path}`, content: f.content })), ...extra]);

/** A tar header block as node-tar writes it, for entries our writer never makes. */
const entryHeader = (path: string, fields: Omit<HeaderData, 'path'>): Buffer => {
  const block = Buffer.alloc(512);
  new Header({ path, mode: 0o644, size: 0, mtime: new Date(0), linkpath: 'README.md', ...fields }).encode(
    block,
  );
  return block;
};

/** The blocks of a file entry: its ustar header (the name cut to 100 bytes) and its padded data. */
const fileEntry = (f: TarFile): Buffer[] => [
  entryHeader(f.path.slice(-100), { type: 'File', size: f.content.length, linkpath: '' }),
  Buffer.concat([f.content, Buffer.alloc((512 - (f.content.length % 512)) % 512)]),
];

/** Records of a pax extended header: "<length> <key>=<value>\n", the length counting itself. */
function paxEntry(path: string, records: Record<string, string>): Buffer[] {
  const body = Object.entries(records)
    .map(([key, value]) => {
      const line = ` ${key}=${value}\n`;
      let length = line.length + 1;
      while (String(length).length + line.length !== length) length += 1;
      return `${length}${line}`;
    })
    .join('');
  return fileEntry({ path: `PaxHeader/${path.slice(-80)}`, content: Buffer.from(body) }).map((b, i) =>
    i === 0 ? retyped(b, 'x') : b,
  );
}

/** GNU tar's long name: an entry "././@LongLink" of type L holding the path. */
const gnuLongName = (path: string): Buffer[] =>
  fileEntry({ path: '././@LongLink', content: Buffer.from(`${path}\0`) }).map((b, i) =>
    i === 0 ? retyped(b, 'L') : b,
  );

/** A header block with another type flag and its checksum fixed. */
function retyped(header: Buffer, type: string): Buffer {
  const block = Buffer.from(header);
  block.write(type, 156, 1, 'ascii');
  block.fill(' ', 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

const tgz = (blocks: Buffer[]) => gzipSync(Buffer.concat([...blocks, Buffer.alloc(1024)]));

/** Puts entries in front of an archive's own. */
const withEntriesFirst = (archive: Buffer, ...blocks: Buffer[]) =>
  gzipSync(Buffer.concat([...blocks, gunzipSync(archive)]));

/** The start of an AppleDouble file, as macOS tar writes one beside each file with attributes. */
const APPLE_DOUBLE = Buffer.from([0x00, 0x05, 0x16, 0x07, 0x00, 0x02, 0x00, 0x00]);

describe('Feature: the template package format', () => {
  const tempDir = tempDirs();

  /** Writes the package into `<temp>/deviation/v1.0.0` and returns that folder. */
  async function written(pkg = fixturePackage()): Promise<string> {
    const dir = join(await tempDir(), pkg.manifest.id, `v${pkg.manifest.version}`);
    await writePackageDir(pkg, dir);
    return dir;
  }

  describe('Scenario: a manifest is checked against its schema', () => {
    it('Given a complete manifest, when it is validated, then it is returned as it is', () => {
      const value = manifest();
      assert.equal(validateManifest(value), value);
    });

    it('Given only the required fields, when it is validated, then it is valid', () => {
      const required: Partial<TemplateManifest> = manifest();
      for (const optional of ['$schema', 'qualifications', 'recordDue', 'parameters'] as const) {
        delete required[optional];
      }
      assert.deepEqual(validateManifest(required), required);
    });

    it('Given a missing field and an unknown one, then each is named at its pointer', async () => {
      const incomplete: Partial<TemplateManifest> = manifest();
      delete incomplete.title;
      const error = await refusal(() => validateManifest({ ...incomplete, owner: 'QA' }));
      assert.deepEqual(problems(error), ['/manifest/owner additionalProperties', '/manifest/title required']);
      assert.match(error.message, /^The manifest is not valid: /);
      assert.ok(error.errors.some((e) => e.message === '"title" is required'));
      assert.ok(error.errors.some((e) => e.message === '"owner" is not a manifest field'));
    });

    it('Given something that is not an object, then the manifest itself is refused', async () => {
      assert.deepEqual(problems(await refusal(() => validateManifest([]))), ['/manifest type']);
    });

    it('Given an id, version or kind of the wrong shape, then each is refused in plain words', async () => {
      const error = await refusal(() =>
        validateManifest({ ...manifest(), id: 'Deviation', version: '1.02.0', kind: 'x' }),
      );
      assert.deepEqual(problems(error), [
        '/manifest/id pattern',
        '/manifest/kind pattern',
        '/manifest/version pattern',
      ]);
      const version = error.errors.find((e) => e.pointer === '/manifest/version')!;
      assert.equal(
        version.message,
        '"version" must be a version major.minor.patch without leading zeros, like 1.0.0',
      );
    });

    it('Given texts that are too long or empty, then their limits are named', async () => {
      assert.deepEqual(await manifestProblems({ title: 'x'.repeat(121), changeReason: '' }), [
        '/manifest/changeReason minLength',
        '/manifest/title maxLength',
      ]);
    });

    it('Given roles that are empty, repeated or badly named, then the roles are refused', async () => {
      assert.deepEqual(await manifestProblems({ roles: [] }), ['/manifest/roles minItems']);
      const error = await refusal(() =>
        validateManifest({ ...manifest(), roles: ['author', 'QA Reviewer', 'author'] }),
      );
      assert.deepEqual(problems(error), ['/manifest/roles uniqueItems', '/manifest/roles/1 pattern']);
      assert.ok(error.errors.some((e) => e.message === '"roles" lists "author" twice'));
    });

    it('Given a numbering pattern outside its alphabet, with no {seq:N} or with two, then it is refused', async () => {
      assert.deepEqual(await manifestProblems({ numbering: 'dev-{MM}-{seq:4}' }), [
        '/manifest/numbering pattern',
      ]);
      assert.deepEqual(await manifestProblems({ numbering: 'DEV-{YYYY}' }), [
        '/manifest/numbering numbering',
      ]);
      const error = await refusal(() =>
        validateManifest({ ...manifest(), numbering: 'DEV-{seq:2}-{seq:4}' }),
      );
      assert.match(error.errors[0]!.message, /exactly one \{seq:N\}.* has 2$/);
    });

    it('Given durations that are not ISO 8601, or a retention of nothing, then they are refused', async () => {
      assert.deepEqual(await manifestProblems({ retention: '10 years', recordDue: 'P30' }), [
        '/manifest/recordDue pattern',
        '/manifest/retention pattern',
      ]);
      assert.deepEqual(await manifestProblems({ retention: 'PT8H' }), ['/manifest/retention pattern']);
      assert.deepEqual(await manifestProblems({ retention: 'P0Y' }), ['/manifest/retention retention']);
      assert.equal(
        validateManifest({ ...manifest(), retention: 'P5Y6M', recordDue: 'P1DT12H' }).retention,
        'P5Y6M',
      );
    });

    it('Given parameters with a bad name, an object value or too many, then each is refused', async () => {
      assert.deepEqual(await manifestProblems({ parameters: { '1st': 1, limits: { max: 5 } } }), [
        '/manifest/parameters/1st propertyNames',
        '/manifest/parameters/limits type',
      ]);
      const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`p${i}`, i]));
      assert.deepEqual(await manifestProblems({ parameters: many }), ['/manifest/parameters maxProperties']);
    });

    it('Given qualifications that are not lists of SOP ids, then the task is named', async () => {
      const error = await refusal(() =>
        validateManifest({ ...manifest(), qualifications: { report: ['SOP-1, SOP-2'], approve: 'SOP-3' } }),
      );
      assert.deepEqual(problems(error), [
        '/manifest/qualifications/approve type',
        '/manifest/qualifications/report/0 pattern',
      ]);
      assert.ok(
        error.errors.some((e) => e.message === 'The qualifications of task "approve" must be a list'),
      );
    });

    it('Given many problems, then all are reported at once', async () => {
      const error = await refusal(() => validateManifest({ id: 'X', roles: 'author' }));
      assert.ok(error.errors.length >= 9, JSON.stringify(error.errors));
    });
  });

  describe('Scenario: record numbers follow the numbering pattern', () => {
    it('Given DEV-{YYYY}-{seq:4}, when the 7th record of 2026 is numbered, then it is DEV-2026-0007', () => {
      assert.equal(formatNumber('DEV-{YYYY}-{seq:4}', { year: 2026, seq: 7 }), 'DEV-2026-0007');
    });

    it('Given {YY}, then the year has two digits', () => {
      assert.equal(formatNumber('BR/{YY}/{seq:3}', { year: 2026, seq: 42 }), 'BR/26/042');
      assert.equal(formatNumber('BR{YY}.{seq:1}', { year: 2003, seq: 5 }), 'BR03.5');
    });

    it('Given a sequence wider than its padding, then it is printed in full', () => {
      assert.equal(formatNumber('CAPA-{seq:2}', { year: 2026, seq: 12345 }), 'CAPA-12345');
    });

    it('Given a pattern, when it is parsed, then its parts are literal text, year and sequence', () => {
      assert.deepEqual(parseNumbering('DEV-{YYYY}-{seq:4}'), [
        { type: 'literal', text: 'DEV-' },
        { type: 'year', digits: 4 },
        { type: 'literal', text: '-' },
        { type: 'seq', width: 4 },
      ]);
    });

    it('Given a pattern with an unknown token or two sequences, then parsing refuses it', async () => {
      for (const pattern of ['DEV-{MM}-{seq:4}', '{seq:4}{seq:4}', 'DEV-{seq:0}', 'dev-{seq:4}']) {
        const error = await refusal(() => parseNumbering(pattern));
        assert.equal(error.errors[0]!.pointer, '/manifest/numbering', pattern);
      }
    });
  });

  describe('Scenario: a package moves between a folder and a .tgz unchanged', () => {
    it('Given a written folder, when it is read back, then it is the same package with the hash of its files', async () => {
      const pkg = fixturePackage();
      const dir = await written(pkg);
      const { pkg: read, hash, files } = await readPackageDir(dir);
      assert.deepEqual(read, pkg);
      assert.deepEqual(files, packageFiles(pkg));
      assert.equal(hash, packageHash(packageFiles(pkg)));
      assert.equal(hash, await folderHash(dir));
      assert.match(hash, /^[0-9a-f]{64}$/);
    });

    it('Given a package, then its files are sorted by path and its JSON pretty-printed', async () => {
      const files = packageFiles(fixturePackage());
      assert.deepEqual(
        files.map((f) => f.path),
        ['README.md', 'forms/closure.json', 'forms/report.json', 'manifest.json', 'process.bpmn'],
      );
      const manifestFile = files.find((f) => f.path === 'manifest.json')!.content.toString('utf8');
      assert.equal(manifestFile, `${JSON.stringify(manifest(), null, 2)}\n`);
    });

    it('Given a folder and its .tgz, then both read as the same package with the same hash', async () => {
      const pkg = fixturePackage();
      const fromDir = await readPackageDir(await written(pkg));
      const fromTgz = readPackageTgz(writePackageTgz(pkg));
      assert.deepEqual(fromTgz.pkg, fromDir.pkg);
      assert.equal(fromTgz.hash, fromDir.hash);
    });

    it('Given a hand-formatted folder, then its hash is over its bytes as stored, in a .tgz as well', async () => {
      const dir = await written();
      const path = join(dir, 'manifest.json');
      await writeFile(path, JSON.stringify(manifest()));
      const fromDir = await readPackageDir(dir);
      assert.notEqual(fromDir.hash, packageHash(packageFiles(fromDir.pkg)));
      assert.equal(fromDir.hash, await folderHash(dir));
      const files = [
        'README.md',
        'manifest.json',
        'process.bpmn',
        'forms/closure.json',
        'forms/report.json',
      ].map(async (name) => ({ path: `v1.0.0/${name}`, content: await readFile(join(dir, name)) }));
      assert.equal(readPackageTgz(writeTgz(await Promise.all(files))).hash, fromDir.hash);
    });

    it('Given the same package twice, or with its forms in another order, then the .tgz bytes are the same', () => {
      const pkg = fixturePackage();
      const first = writePackageTgz(pkg);
      assert.deepEqual(writePackageTgz(fixturePackage()), first);
      assert.deepEqual(writePackageTgz({ ...pkg, forms: [...pkg.forms].reverse() }), first);
    });

    it('Given a written .tgz, then its entries are under <id>/v<version>/ with fixed metadata', () => {
      const tar = gunzipSync(writePackageTgz(fixturePackage()));
      const header = tar.subarray(0, 512);
      assert.equal(header.toString('utf8', 0, 10), 'deviation/');
      assert.equal(header.toString('ascii', 136, 147), '0'.repeat(11), 'mtime 0');
      assert.deepEqual(
        [...readTgz(writePackageTgz(fixturePackage())).files.map((f) => f.path)],
        [
          'deviation/v1.0.0/README.md',
          'deviation/v1.0.0/forms/closure.json',
          'deviation/v1.0.0/forms/report.json',
          'deviation/v1.0.0/manifest.json',
          'deviation/v1.0.0/process.bpmn',
        ],
      );
      const manifestHeader = tar.indexOf('deviation/v1.0.0/manifest.json');
      assert.equal(tar.toString('ascii', manifestHeader + 100, manifestHeader + 107), '0000644');
      assert.equal(tar.toString('ascii', manifestHeader + 108, manifestHeader + 115), '0000000');
    });

    it('Given an archive with the files at its root, in v<version>/ or in <id>/v<version>/, then each reads the same', () => {
      const pkg = fixturePackage();
      const hash = packageHash(packageFiles(pkg));
      for (const root of ['', 'v1.0.0/', './v1.0.0/', 'deviation/v1.0.0/']) {
        assert.equal(readPackageTgz(archive(pkg, root)).hash, hash, root);
      }
    });

    it('Given the package packed by tar as pax, as GNU tar with long names, or by macOS tar, then each reads the same', () => {
      // A form key too long for a ustar name, which these formats carry as a long name.
      const pkg = fixturePackage();
      pkg.forms.push({
        key: `k${'x'.repeat(79)}`,
        definition: { components: [{ type: 'textfield', key: 'a' }] },
      });
      const hash = packageHash(packageFiles(pkg));
      const files = packageFiles(pkg).map((f) => ({
        path: `deviation/v1.0.0/${f.path}`,
        content: f.content,
      }));
      const pax = tgz(files.flatMap((f) => [...paxEntry(f.path, { path: f.path }), ...fileEntry(f)]));
      const gnu = tgz(files.flatMap((f) => [...gnuLongName(f.path), ...fileEntry(f)]));
      // macOS tar: extended attributes in pax records and in an AppleDouble file beside each file.
      const mac = tgz(
        files.flatMap((f) => {
          const dir = f.path.slice(0, f.path.lastIndexOf('/') + 1);
          const appleDouble = { path: `${dir}._${f.path.slice(dir.length)}`, content: APPLE_DOUBLE };
          const xattr = { 'LIBARCHIVE.xattr.com.apple.provenance': 'AQIAhV8Fz3c=', path: f.path };
          return [
            ...paxEntry(appleDouble.path, { path: appleDouble.path }),
            ...fileEntry(appleDouble),
            ...paxEntry(f.path, xattr),
            ...fileEntry(f),
          ];
        }),
      );
      for (const [name, archive] of Object.entries({ pax, gnu, mac })) {
        const read = readPackageTgz(archive);
        assert.equal(read.hash, hash, name);
        assert.deepEqual(read.pkg.forms.map((f) => f.key).sort(), pkg.forms.map((f) => f.key).sort(), name);
      }
    });

    it('Given a long form key, then its path goes into the ustar prefix and reads back', () => {
      const pkg = fixturePackage();
      const key = `k${'x'.repeat(79)}`;
      pkg.forms.push({ key, definition: { components: [{ type: 'textfield', key: 'a' }] } });
      const { forms } = readPackageTgz(writePackageTgz(pkg)).pkg;
      assert.deepEqual(
        forms.map((f) => f.key),
        ['closure', key, 'report'],
      );
    });
  });

  describe('Scenario: a folder that is not a package is refused', () => {
    it('Given an unknown file and an unknown folder, then both are named', async () => {
      const dir = await written();
      await writeFile(join(dir, 'notes.txt'), 'draft');
      await mkdir(join(dir, 'images'));
      await writeFile(join(dir, 'forms', 'report.yaml'), 'x: 1');
      const error = await refusal(() => readPackageDir(dir));
      assert.deepEqual(problems(error), [
        '/files/forms/report.yaml additionalProperties',
        '/files/images additionalProperties',
        '/files/notes.txt additionalProperties',
      ]);
      assert.match(error.message, /^The template package cannot be read: /);
    });

    it('Given a missing manifest, process and README, then each is required', async () => {
      const dir = await written();
      for (const name of ['manifest.json', 'process.bpmn', 'README.md']) await rm(join(dir, name));
      assert.deepEqual(problems(await refusal(() => readPackageDir(dir))), [
        '/files/README.md required',
        '/files/manifest.json required',
        '/files/process.bpmn required',
      ]);
    });

    it('Given a form that is not JSON, one that is not an object and a bad key, then each is named', async () => {
      const dir = await written();
      await writeFile(join(dir, 'forms', 'report.json'), '{ "components": [ }');
      await writeFile(join(dir, 'forms', 'closure.json'), '[]');
      await writeFile(join(dir, 'forms', '1st.json'), '{}');
      assert.deepEqual(problems(await refusal(() => readPackageDir(dir))), [
        '/files/forms/1st.json pattern',
        '/files/forms/closure.json type',
        '/files/forms/report.json json',
      ]);
    });

    it('Given an invalid manifest, then its problems are under /manifest', async () => {
      const dir = await written();
      await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest(), roles: [] }));
      assert.deepEqual(problems(await refusal(() => readPackageDir(dir))), ['/manifest/roles minItems']);
    });

    it('Given a folder not named after the version, then the version is refused', async () => {
      const dir = await written();
      await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest(), version: '1.0.1' }));
      const error = await refusal(() => readPackageDir(dir));
      assert.deepEqual(problems(error), ['/manifest/version folder']);
      assert.match(error.errors[0]!.message, /named v1\.0\.0 but the manifest's version is 1\.0\.1/);
    });

    it('Given more than 50 forms and a file over 2 MB, then both are refused', async () => {
      const dir = await written();
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          writeFile(join(dir, 'forms', `f${i}.json`), '{"components":[]}'),
        ),
      );
      await writeFile(join(dir, 'README.md'), Buffer.alloc(2 * 1024 * 1024 + 1, 'a'));
      assert.deepEqual(problems(await refusal(() => readPackageDir(dir))), [
        '/files/README.md maxSize',
        '/files/forms maxItems',
      ]);
    });

    it('Given a symbolic link, then it is refused, not followed', async () => {
      const dir = await written();
      await symlink('/etc/hostname', join(dir, 'forms', 'host.json'));
      assert.deepEqual(problems(await refusal(() => readPackageDir(dir))), ['/files/forms/host.json type']);
    });

    it('Given no folder at all, then it is refused as such', async () => {
      const error = await refusal(async () => readPackageDir(join(await tempDir(), 'v1.0.0')));
      assert.match(error.message, /^There is no template package folder at /);
    });

    it('Given a package to write into a used or misnamed folder, then nothing is written', async () => {
      const dir = await written();
      await assert.rejects(writePackageDir(fixturePackage(), dir), /is not empty/);
      const misnamed = join(await tempDir(), 'v2.0.0');
      assert.deepEqual(problems(await refusal(() => writePackageDir(fixturePackage(), misnamed))), [
        '/manifest/version folder',
      ]);
    });

    it('Given a package with a form key that would leave the folder, then it is not written', async () => {
      const pkg = fixturePackage();
      pkg.forms.push({ key: '../../escape', definition: { components: [] } });
      assert.deepEqual(problems(await refusal(() => writePackageTgz(pkg))), [
        '/files/forms/../../escape.json pattern',
      ]);
    });
  });

  describe('Scenario: an archive that could harm the server is refused', () => {
    const file = (path: string): TarFile => ({ path, content: Buffer.from('x') });

    it('Given a ".." segment, then the entry is refused', async () => {
      const error = await refusal(() =>
        readPackageTgz(archive(fixturePackage(), '', [file('forms/../../x')])),
      );
      assert.deepEqual(problems(error), ['/files/forms/../../x path']);
      assert.match(error.message, /"\.\." segment/);
    });

    it('Given an absolute path, then the entry is refused', async () => {
      const error = await refusal(() =>
        readPackageTgz(archive(fixturePackage(), '', [file('/etc/cron.d/x')])),
      );
      assert.deepEqual(problems(error), ['/files//etc/cron.d/x path']);
      assert.match(error.message, /absolute path/);
    });

    it('Given a symbolic link, a hard link or a device, then the entry is refused by its type', async () => {
      for (const [type, what] of [
        ['SymbolicLink', 'a symbolic link'],
        ['Link', 'a hard link'],
        ['CharacterDevice', 'a character device'],
      ] as const) {
        const error = await refusal(() =>
          readPackageTgz(withEntriesFirst(archive(fixturePackage(), ''), entryHeader('evil.md', { type }))),
        );
        assert.deepEqual(problems(error), ['/files/evil.md type'], type);
        assert.match(
          error.message,
          new RegExp(`evil\\.md is ${what}; a template archive holds only files and folders`),
        );
      }
    });

    it('Given more than 200 entries, then the archive is refused', async () => {
      const many = Array.from({ length: 201 }, (_, i) => file(`f${i}`));
      const error = await refusal(() => readPackageTgz(writeTgz(many)));
      assert.deepEqual(problems(error), [' maxItems']);
      assert.match(error.message, /more than 200 entries/);
    });

    it('Given more than 20 MB unpacked, then the archive is refused before it is unpacked', async () => {
      const big = Array.from({ length: 21 }, (_, i) => ({
        path: `f${i}`,
        content: Buffer.alloc(1024 * 1024),
      }));
      const error = await refusal(() => readPackageTgz(writeTgz(big)));
      assert.match(error.message, /unpacks to more than 20 MB/);
    });

    it('Given something that is not gzip, or a corrupt header, then it is refused', async () => {
      assert.match(
        (await refusal(() => readPackageTgz(Buffer.from('PK\u0003\u0004')))).message,
        /not a gzip/,
      );
      const tar = gunzipSync(writePackageTgz(fixturePackage()));
      tar[0] = 0x41;
      assert.match((await refusal(() => readPackageTgz(gzipSync(tar)))).message, /wrong checksum/);
    });

    it('Given a file outside the package folder or a second manifest, then the archive is refused', async () => {
      const outside = await refusal(() =>
        readPackageTgz(archive(fixturePackage(), 'v1.0.0/', [file('notes.txt')])),
      );
      assert.deepEqual(problems(outside), ['/files/notes.txt additionalProperties']);
      const two = await refusal(() =>
        readPackageTgz(archive(fixturePackage(), 'v1.0.0/', [file('v1.0.1/manifest.json')])),
      );
      assert.deepEqual(problems(two), ['/files/manifest.json maxItems']);
    });

    it('Given an archive whose folders disagree with the manifest, then the id and version are refused', async () => {
      const error = await refusal(() => readPackageTgz(archive(fixturePackage(), 'capa/v2.0.0/')));
      assert.deepEqual(problems(error), ['/manifest/id folder', '/manifest/version folder']);
    });
  });
});
