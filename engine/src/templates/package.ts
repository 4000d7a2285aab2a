import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import schema from './manifest.schema.json' with { type: 'json' };
import { canonicalize, sha256Hex } from '../kernel/canonicalJson.ts';
import { ConflictError, InputError, type FieldError } from '../kernel/errors.ts';
import { FORBIDDEN_KEYS, findForbiddenKey } from '../kernel/forbiddenKeys.ts';
import { readTgz, writeTgz, type TarFile } from './tar.ts';
import { isObject } from '../kernel/isObject.ts';
import { parameterSetProblems } from './parameterSets.ts';

/**
 * The template package format: a version folder `templates/<id>/v<version>/` (or a `.tgz` of one)
 * holding `manifest.json`, `process.bpmn`, `forms/<key>.json` and `README.md`. Reading a package
 * checks its shape and its manifest; compiling the process and the forms is left to deployment.
 *
 * A package's hash is SHA-256 over the canonical JSON of `{ files: { <path>: sha256(bytes) } }`,
 * always over the bytes as they were read (or written), never re-serialized: a folder and a `.tgz` of
 * the same files hash the same, and a released folder whose bytes change no longer matches its hash.
 */

/** manifest.json, as manifest.schema.json beside this file describes it. */
export interface TemplateManifest {
  /** Where editors find the schema; ignored. */
  $schema?: string;
  id: string;
  /** Semantic version `major.minor.patch`. */
  version: string;
  kind: string;
  title: string;
  description: string;
  /** Record numbers, e.g. `DEV-{YYYY}-{seq:4}`. */
  numbering: string;
  roles: string[];
  /** SOP ids a performer must be qualified on, by user-task element id. */
  qualifications?: Record<string, string[]>;
  /** ISO 8601 duration records are kept, e.g. `P10Y`. */
  retention: string;
  /** ISO 8601 duration from a record's start to when it is due, e.g. `P30D`. */
  recordDue?: string;
  /** Default process variables. */
  parameters?: Record<string, string | number | boolean>;
  /** The JSON Schema every parameter set satisfies (see parameterSets.ts). */
  parameterSchema?: Record<string, unknown>;
  /** Named sets of process variables a record starts from, e.g. a product's recipe. */
  parameterSets?: Record<string, Record<string, unknown>>;
  /** Why this version exists. */
  changeReason: string;
}

export interface TemplatePackage {
  manifest: TemplateManifest;
  /** BPMN 2.0 XML. */
  process: string;
  /** Form.io definitions, by key (the file name without `.json`). */
  forms: { key: string; definition: Record<string, unknown> }[];
  readme: string;
}

/** A file of a package: its path inside the version folder, `/`-separated, and its bytes. */
export type PackageFile = TarFile;

/** A package as read from a folder, an archive or an upload. */
export interface ReadPackage {
  pkg: TemplatePackage;
  /** `packageHash(files)`. */
  hash: string;
  /** The files as read, by path inside the version folder, sorted: the bytes the hash is over. */
  files: PackageFile[];
}

export const PACKAGE_LIMITS = Object.freeze({ forms: 50, fileBytes: 2 * 1024 * 1024 });

const FORM_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,79}$/;
const FORM_FILE = /^forms\/(.*)\.json$/;
const MANIFEST = 'manifest.json';
const PROCESS = 'process.bpmn';
const README = 'README.md';
/** The files every package has, and why. */
const PARTS: Readonly<Record<string, string>> = {
  [MANIFEST]: 'its manifest',
  [PROCESS]: 'its BPMN process',
  [README]: 'a README for the people who use it',
};
/** How many problems an error message spells out; its field errors list all of them. */
const LISTED = 10;

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile<TemplateManifest>(schema);

function listed(intro: string, errors: FieldError[]): string {
  const messages = errors.slice(0, LISTED).map((e) => e.message);
  if (errors.length > LISTED) messages.push(`and ${errors.length - LISTED} more`);
  return `${intro}: ${messages.join('; ')}`;
}

const escapePointer = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');
const unescapePointer = (segment: string) => segment.replaceAll('~1', '/').replaceAll('~0', '~');

// ---------------------------------------------------------------------------------------------
// The manifest

/** What a value must look like, by the schema location of its `pattern`, in words. */
const SHAPES: Readonly<Record<string, string>> = {
  '#/properties/id': 'a template id: 2 to 40 lower-case letters, digits or hyphens, starting with a letter',
  '#/properties/kind':
    'a kind: 2 to 40 lower-case letters, digits or hyphens, starting with a letter, like batch-record',
  '#/properties/version': 'a version major.minor.patch without leading zeros, like 1.0.0',
  '#/properties/numbering':
    'made of capital letters, digits, - _ / . and the tokens {YYYY}, {YY} and {seq:N} (N from 1 to 9), like DEV-{YYYY}-{seq:4}',
  '#/properties/roles/items':
    'a role name: up to 60 lower-case letters, digits, _ or -, starting with a letter, like qa_approver',
  '#/properties/qualifications/propertyNames':
    'a BPMN element id: up to 80 letters, digits, _ . or -, starting with a letter or _',
  '#/properties/qualifications/additionalProperties/items':
    'an SOP id without commas and without spaces at either end',
  '#/properties/retention': 'an ISO 8601 duration in years, months, weeks or days, like P10Y or P5Y6M',
  '#/properties/recordDue': 'an ISO 8601 duration, like P30D or PT8H',
  '#/properties/parameters/propertyNames':
    'a variable name: up to 60 letters, digits or _, starting with a letter or _',
  '#/properties/parameterSets/propertyNames':
    'a set name: up to 60 letters, digits, _ . or -, starting with a letter or digit, like PARA-500',
  '#/properties/parameterSets/additionalProperties/propertyNames':
    'a variable name: up to 60 letters, digits or _, starting with a letter or _',
};

const TYPES: Readonly<Record<string, string>> = {
  string: 'text',
  array: 'a list',
  object: 'an object of names and values',
  'string,number,boolean': 'text, a number, true or false',
};

/** How a message names the value at a pointer of the manifest. */
function subject(segments: string[]): string {
  const [field, second, third] = segments;
  if (field === undefined) return 'The manifest';
  if (field === 'roles' && second !== undefined) return `Role ${Number(second) + 1} in "roles"`;
  if (field === 'qualifications' && second !== undefined) {
    return third === undefined
      ? `The qualifications of task "${second}"`
      : `SOP id ${Number(third) + 1} of task "${second}"`;
  }
  if (field === 'parameters' && second !== undefined) return `Parameter "${second}"`;
  return `"${segments.join('/')}"`;
}

/** An ajv error in plain language, at its pointer into the manifest; null for a repeat. */
function manifestError(e: ErrorObject, value: unknown): FieldError | null {
  if (e.keyword === 'propertyNames') return null; // its inner error, with propertyName, says more
  const p = e.params as Record<string, unknown>;
  const location = e.schemaPath.slice(0, e.schemaPath.lastIndexOf('/'));
  if (e.propertyName !== undefined) {
    const what = location.includes('qualifications') ? 'task id' : 'parameter name';
    return {
      pointer: `/manifest${e.instancePath}/${escapePointer(e.propertyName)}`,
      keyword: 'propertyNames',
      message: `The ${what} "${e.propertyName}" must be ${SHAPES[location] ?? 'a valid name'}`,
    };
  }
  const extra =
    e.keyword === 'required'
      ? String(p.missingProperty)
      : e.keyword === 'additionalProperties'
        ? String(p.additionalProperty)
        : null;
  const path = extra === null ? e.instancePath : `${e.instancePath}/${escapePointer(extra)}`;
  const segments = path.split('/').slice(1).map(unescapePointer);
  const name = subject(segments);
  const message = (() => {
    switch (e.keyword) {
      case 'required':
        return `${name} is required`;
      case 'additionalProperties':
        return `${name} is not a manifest field`;
      case 'type':
        return `${name} must be ${TYPES[String(p.type)] ?? String(p.type)}`;
      case 'minLength':
        return p.limit === 1
          ? `${name} must not be empty`
          : `${name} needs at least ${String(p.limit)} characters`;
      case 'maxLength':
        return `${name} must have at most ${String(p.limit)} characters`;
      case 'pattern':
        return `${name} must be ${SHAPES[location] ?? `text matching ${String(p.pattern)}`}`;
      case 'minItems':
        return `${name} must list at least ${String(p.limit)}`;
      case 'maxItems':
        return `${name} must list at most ${String(p.limit)}`;
      case 'uniqueItems':
        return `${name} lists ${JSON.stringify(valueAt(value, [...segments, String(p.j)]))} twice`;
      case 'maxProperties':
        return `${name} must have at most ${String(p.limit)} entries`;
      default:
        return `${name} ${e.message ?? 'is not valid'}`;
    }
  })();
  return { pointer: `/manifest${path}`, keyword: e.keyword, message };
}

function valueAt(value: unknown, segments: string[]): unknown {
  return segments.reduce<unknown>(
    (v, s) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[s] : undefined),
    value,
  );
}

/**
 * Checks a parsed manifest.json against the manifest schema, and what a schema cannot say: exactly
 * one `{seq:N}` in the numbering and a retention longer than nothing. Every problem is reported at
 * once, each at its pointer under `/manifest`, so an author fixes them in one pass.
 */
export function validateManifest(value: unknown): TemplateManifest {
  const errors = validate(value)
    ? []
    : (validate.errors ?? []).map((e) => manifestError(e, value)).filter((e) => e !== null);
  const manifest = value as Partial<TemplateManifest> | null;
  const invalid = new Set(errors.map((e) => e.pointer));
  if (typeof manifest?.numbering === 'string' && !invalid.has('/manifest/numbering')) {
    const problem = numberingProblem(manifest.numbering);
    if (problem) errors.push({ pointer: '/manifest/numbering', keyword: 'numbering', message: problem });
  }
  if (typeof manifest?.retention === 'string' && !invalid.has('/manifest/retention')) {
    if (!/[1-9]/.test(manifest.retention)) {
      errors.push({
        pointer: '/manifest/retention',
        keyword: 'retention',
        message: `"retention" must be longer than nothing, like P10Y; ${manifest.retention} keeps no record`,
      });
    }
  }
  if (errors.length === 0) errors.push(...parameterSetProblems(value as TemplateManifest));
  if (errors.length > 0) throw new InputError(listed('The manifest is not valid', errors), errors);
  return value as TemplateManifest;
}

// ---------------------------------------------------------------------------------------------
// Record numbers

export type NumberingPart =
  | { type: 'literal'; text: string }
  /** `{YYYY}` (4 digits) or `{YY}` (the last 2). */
  | { type: 'year'; digits: 2 | 4 }
  /** `{seq:N}`: the sequence, padded with zeros to `width` digits. */
  | { type: 'seq'; width: number };

const NUMBERING_TOKEN = /\{([^{}]*)\}|([A-Z0-9_/.-]+)|(.)/gsu;

function numberingParts(pattern: string): NumberingPart[] | string {
  if (pattern === '') return 'a numbering pattern must not be empty';
  const parts: NumberingPart[] = [];
  for (const [, token, literal, other] of pattern.matchAll(NUMBERING_TOKEN)) {
    if (literal !== undefined) parts.push({ type: 'literal', text: literal });
    else if (other !== undefined) {
      return `"${other}" may not be in a record number; use capital letters, digits, - _ / . and the tokens {YYYY}, {YY} and {seq:N}`;
    } else if (token === 'YYYY' || token === 'YY')
      parts.push({ type: 'year', digits: token.length as 2 | 4 });
    else if (/^seq:[1-9]$/.test(token!)) parts.push({ type: 'seq', width: Number(token!.slice(4)) });
    else return `{${token}} is not a numbering token; use {YYYY}, {YY} or {seq:N} with N from 1 to 9`;
  }
  const sequences = parts.filter((p) => p.type === 'seq').length;
  if (sequences !== 1) {
    return `"numbering" needs exactly one {seq:N} token, so that every record gets its own number; ${pattern} has ${sequences}`;
  }
  return parts;
}

function numberingProblem(pattern: string): string | null {
  const parts = numberingParts(pattern);
  return typeof parts === 'string' ? parts : null;
}

/**
 * Splits a numbering pattern such as `DEV-{YYYY}-{seq:4}` into literal text, year and sequence
 * parts; refuses (InputError at `/manifest/numbering`) a pattern a manifest could not hold.
 */
export function parseNumbering(pattern: string): NumberingPart[] {
  const parts = numberingParts(pattern);
  if (typeof parts === 'string') {
    throw new InputError(`The numbering pattern is not valid: ${parts}`, [
      { pointer: '/manifest/numbering', keyword: 'numbering', message: parts },
    ]);
  }
  return parts;
}

/**
 * A record's number: `DEV-{YYYY}-{seq:4}` with year 2026 and sequence 7 gives `DEV-2026-0007`.
 * A sequence wider than its padding is printed in full (`DEV-2026-12345`) rather than cut, so
 * numbers never repeat.
 */
export function formatNumber(pattern: string, { year, seq }: { year: number; seq: number }): string {
  if (!Number.isSafeInteger(year) || year < 0 || year > 9999) throw new RangeError(`No year ${year}`);
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`No sequence number ${seq}`);
  return parseNumbering(pattern)
    .map((part) => {
      switch (part.type) {
        case 'literal':
          return part.text;
        case 'year':
          return String(part.digits === 4 ? year : year % 100).padStart(part.digits, '0');
        case 'seq':
          return String(seq).padStart(part.width, '0');
      }
    })
    .join('');
}

// ---------------------------------------------------------------------------------------------
// Files and hashes

const fileHash = (content: Buffer) => createHash('sha256').update(content).digest('hex');
const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
const byPath = (a: PackageFile, b: PackageFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Refuses a package that could not be read back: its manifest, its form keys and their number. */
function checkPackage(pkg: TemplatePackage): void {
  const errors: FieldError[] = [];
  try {
    validateManifest(pkg.manifest);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    errors.push(...error.errors);
  }
  errors.push(...formKeyProblems(pkg.forms.map((f) => f.key)));
  if (errors.length > 0) throw new InputError(listed('The template package is not valid', errors), errors);
}

function formKeyProblems(keys: string[]): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    const pointer = `/files/forms/${key}.json`;
    if (!FORM_KEY.test(key)) {
      errors.push({
        pointer,
        keyword: 'pattern',
        message: `The form key "${key}" must be up to 80 letters, digits, _ . or -, starting with a letter`,
      });
    } else if (seen.has(key)) {
      errors.push({ pointer, keyword: 'uniqueItems', message: `The form "${key}" is in the package twice` });
    }
    seen.add(key);
  }
  if (keys.length > PACKAGE_LIMITS.forms) {
    errors.push({
      pointer: '/files/forms',
      keyword: 'maxItems',
      message: `A package holds at most ${PACKAGE_LIMITS.forms} forms; this one has ${keys.length}`,
    });
  }
  return errors;
}

/**
 * The files of a package, sorted by path: `README.md`, `forms/<key>.json`, `manifest.json`,
 * `process.bpmn`. JSON is written with two-space indentation and a final newline, the way an
 * editor would, so a written folder reads well in a review and hashes the same as its `.tgz`.
 */
export function packageFiles(pkg: TemplatePackage): PackageFile[] {
  checkPackage(pkg);
  return [
    { path: README, content: Buffer.from(pkg.readme, 'utf8') },
    ...pkg.forms.map((f) => ({ path: `forms/${f.key}.json`, content: json(f.definition) })),
    { path: MANIFEST, content: json(pkg.manifest) },
    { path: PROCESS, content: Buffer.from(pkg.process, 'utf8') },
  ].sort(byPath);
}

/**
 * The fingerprint of a package: SHA-256 over the canonical JSON of `{ files: { <path>: sha256 } }`.
 * It depends on the paths and bytes only, not on their order or on how they were packed.
 */
export function packageHash(files: readonly PackageFile[]): string {
  const hashes: Record<string, string> = {};
  for (const file of files) {
    if (Object.hasOwn(hashes, file.path)) throw new RangeError(`The file ${file.path} is listed twice`);
    hashes[file.path] = fileHash(file.content);
  }
  return sha256Hex(canonicalize({ files: hashes }));
}

/**
 * The package hash of a folder as it is on disk: every file under it, bytes as stored. This is what
 * the "released versions never change" check compares; a stray file changes it too.
 */
export async function folderHash(dir: string): Promise<string> {
  const files: PackageFile[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      const name = relative(dir, path).split(sep).join('/');
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push({ path: name, content: await readFile(path) });
      else {
        const message = `${name} is not a plain file (a link or a device)`;
        throw new InputError(`${dir}: ${message}`, [{ pointer: `/files/${name}`, keyword: 'type', message }]);
      }
    }
  };
  await walk(dir);
  return packageHash(files);
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Where the files were found: the version folder's name and its parent's, when known. */
interface Location {
  folder: string | null;
  parent: string | null;
}

const tooLarge = (path: string) => `${path} is larger than ${PACKAGE_LIMITS.fileBytes / 1024 / 1024} MB`;
const notInPackage = (path: string) =>
  `${path} is not part of a template package, which holds ${MANIFEST}, ${PROCESS}, ${README} and forms/<key>.json`;
const missing = (path: string) => `${path} is missing: a template package needs ${PARTS[path]}`;
const notAForm = (path: string) => `${path} must hold a Form.io form: a JSON object with its components`;
// A byte order mark stays in the text, so the text encodes back to the bytes that were hashed.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Turns the files of a version folder into a package, refusing everything that is not one: unknown
 * files and folders, a missing part, files over 2 MB, too many forms, JSON that does not parse, text
 * that is not UTF-8, an invalid manifest, and a folder not named after the manifest's version (or,
 * when the id folder is known, its id). Every problem is reported at once, with those the caller
 * found before (`problems`) about files it did not read.
 */
function assemble(
  files: PackageFile[],
  folders: string[],
  location: Location,
  problems: FieldError[],
): ReadPackage {
  const errors = [...problems];
  const fail = (path: string, keyword: string, message: string) =>
    errors.push({ pointer: `/files/${path}`, keyword, message });
  const byName = new Map<string, Buffer>();
  const forms: { key: string; content: Buffer }[] = [];

  for (const folder of folders) {
    if (folder !== 'forms') {
      fail(
        folder,
        'additionalProperties',
        `The folder ${folder} is not part of a template package; only forms/ may be a folder`,
      );
    }
  }
  for (const file of files) {
    if (file.content.length > PACKAGE_LIMITS.fileBytes) {
      fail(file.path, 'maxSize', tooLarge(file.path));
      continue;
    }
    const form = FORM_FILE.exec(file.path);
    if (form && !form[1]!.includes('/')) forms.push({ key: form[1]!, content: file.content });
    else if (Object.hasOwn(PARTS, file.path)) byName.set(file.path, file.content);
    else fail(file.path, 'additionalProperties', notInPackage(file.path));
  }
  errors.push(...formKeyProblems(forms.map((f) => f.key)));

  const part = (path: string): Buffer | null => {
    const content = byName.get(path);
    if (!content && !errors.some((e) => e.pointer === `/files/${path}`))
      fail(path, 'required', missing(path));
    return content ?? null;
  };
  const text = (path: string, content: Buffer | null): string | null => {
    if (!content) return null;
    try {
      return utf8.decode(content);
    } catch {
      fail(path, 'encoding', `${path} is not UTF-8 text`);
      return null;
    }
  };
  const parse = (path: string, content: Buffer | null): unknown => {
    const source = text(path, content);
    if (source === null) return undefined;
    try {
      return withoutForbiddenKeys(path, JSON.parse(source.replace(/^\uFEFF/, '')), fail);
    } catch (error) {
      fail(path, 'json', `${path} is not valid JSON: ${(error as Error).message}`);
      return undefined;
    }
  };

  const manifestJson = parse(MANIFEST, part(MANIFEST));
  const process = text(PROCESS, part(PROCESS));
  const readme = text(README, part(README));
  let manifest: TemplateManifest | null = null;
  if (manifestJson !== undefined) {
    try {
      manifest = validateManifest(manifestJson);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      errors.push(...error.errors);
    }
  }
  if (manifest) errors.push(...locationProblems(manifest, location));
  const definitions = forms.map(({ key, content }) => {
    const path = `forms/${key}.json`;
    const definition = parse(path, content);
    if (definition !== undefined && !isObject(definition)) {
      fail(path, 'type', notAForm(path));
    }
    return { key, definition: definition as Record<string, unknown> };
  });

  if (errors.length > 0 || !manifest || process === null || readme === null) {
    throw new InputError(listed('The template package cannot be read', errors), errors);
  }
  definitions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const sorted = [...files].sort(byPath);
  return { pkg: { manifest, process, forms: definitions, readme }, hash: packageHash(sorted), files: sorted };
}

function locationProblems(manifest: TemplateManifest, { folder, parent }: Location): FieldError[] {
  const errors: FieldError[] = [];
  if (folder !== null && folder !== `v${manifest.version}`) {
    errors.push({
      pointer: '/manifest/version',
      keyword: 'folder',
      message: `The folder is named ${folder} but the manifest's version is ${manifest.version}: a version folder is named v<version>, here v${manifest.version}`,
    });
  }
  if (parent !== null && parent !== manifest.id) {
    errors.push({
      pointer: '/manifest/id',
      keyword: 'folder',
      message: `The version folder is in ${parent} but the manifest's id is ${manifest.id}: a template's versions are in a folder named after its id`,
    });
  }
  return errors;
}

const errorCode = (error: unknown) => (error as { code?: string }).code;

/**
 * Reads a version folder (`.../<id>/v<version>/`). Only the version folder's name is checked
 * against the manifest: a folder may be read from anywhere. Sub-folders other than `forms/`,
 * links and files over 2 MB are refused before they are read.
 */
export async function readPackageDir(dir: string): Promise<ReadPackage> {
  const files: PackageFile[] = [];
  const folders: string[] = [];
  const problems: FieldError[] = [];
  const visit = async (folder: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      const path = `${prefix}${entry.name}`;
      const pointer = `/files/${path}`;
      if (entry.isDirectory()) {
        if (prefix === '' && entry.name === 'forms') await visit(full, 'forms/');
        else folders.push(path);
      } else if (!entry.isFile()) {
        problems.push({
          pointer,
          keyword: 'type',
          message: `${path} is not a plain file (a link or a device); a template package holds only files`,
        });
      } else if ((await lstat(full)).size > PACKAGE_LIMITS.fileBytes) {
        problems.push({ pointer, keyword: 'maxSize', message: tooLarge(path) });
      } else {
        files.push({ path, content: await readFile(full) });
      }
    }
  };
  try {
    await visit(dir, '');
  } catch (error) {
    if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error;
    throw new InputError(`There is no template package folder at ${dir}`, [
      { pointer: '', keyword: 'required', message: `${dir} is not a folder` },
    ]);
  }
  return assemble(files, folders, { folder: basename(dir), parent: null }, problems);
}

/** Paths an archive may keep its manifest at: the root, `v<version>/` or `<id>/v<version>/`. */
const ARCHIVED_MANIFEST = /^(?:[^/]+\/){0,2}manifest\.json$/;

/**
 * Reads a package from files already unpacked (an upload, an archive): at the root, in one folder
 * `v<version>/` or in `<id>/v<version>/` (where `manifest.json` is tells which). The folder names
 * are checked against the manifest as a folder's are, and anything outside the package's folder is
 * refused. The hash is over the bytes as given.
 */
export function readPackageFromFiles(
  files: readonly PackageFile[],
  directories: readonly string[] = [],
): ReadPackage {
  const manifests = files.map((f) => f.path).filter((path) => ARCHIVED_MANIFEST.test(path));
  if (manifests.length !== 1) {
    const message =
      manifests.length === 0
        ? `There is no ${MANIFEST}, neither at the root nor in a v<version>/ or <id>/v<version>/ folder`
        : `There is more than one ${MANIFEST} (${manifests.join(', ')}); a package has one`;
    throw new InputError(message, [
      { pointer: `/files/${MANIFEST}`, keyword: manifests.length === 0 ? 'required' : 'maxItems', message },
    ]);
  }
  const root = manifests[0]!.slice(0, -MANIFEST.length);
  const segments = root.split('/').filter((s) => s !== '');
  const problems: FieldError[] = [];
  const outside = (path: string, what: string) =>
    problems.push({
      pointer: `/files/${path}`,
      keyword: 'additionalProperties',
      message: `${what} is outside the package folder ${root}`,
    });
  const inside: PackageFile[] = [];
  for (const file of files) {
    if (file.path.startsWith(root))
      inside.push({ path: file.path.slice(root.length), content: file.content });
    else outside(file.path, file.path);
  }
  const folders: string[] = [];
  for (const directory of directories.map((d) => d.replace(/\/+$/, ''))) {
    if (directory.startsWith(root)) folders.push(directory.slice(root.length));
    else if (!root.startsWith(`${directory}/`)) outside(directory, `The folder ${directory}`);
  }
  const location = { folder: segments.at(-1) ?? null, parent: segments.length === 2 ? segments[0]! : null };
  return assemble(inside, folders, location, problems);
}

/**
 * Reads a `.tgz` of a package, as `readPackageFromFiles` reads its files, after the archive itself
 * is checked (see `readTgz`). The hash is over the bytes as archived, so it equals the hash of the
 * same files in a folder.
 */
export function readPackageTgz(archive: Buffer): ReadPackage {
  const { files, directories } = readTgz(archive);
  return readPackageFromFiles(files, directories);
}

/**
 * Reads a draft as the designer saves it: the version folder's files by path, as text. A draft is
 * work in progress, so what its manifest, process and forms say is left to the checks, which
 * report it; refused here is only what could not be kept as a package version at all: files a
 * package does not hold, a missing part, JSON that does not parse or is not an object, and a
 * manifest naming another template or version than the draft's. The hash is over the UTF-8 bytes,
 * as an import of the same files hashes them.
 */
export function readDraftFiles(
  texts: Readonly<Record<string, string>>,
  draft: { id: string; version: string },
): ReadPackage {
  const errors: FieldError[] = [];
  const fail = (path: string, keyword: string, message: string) =>
    errors.push({ pointer: `/files/${path}`, keyword, message });
  const parse = (path: string, text: string): unknown => {
    try {
      return withoutForbiddenKeys(path, JSON.parse(text.replace(/^\uFEFF/, '')), fail);
    } catch (error) {
      fail(path, 'json', `${path} is not valid JSON: ${(error as Error).message}`);
      return undefined;
    }
  };
  const files: PackageFile[] = [];
  const forms: { key: string; definition: Record<string, unknown> }[] = [];
  for (const [path, text] of Object.entries(texts)) {
    const content = Buffer.from(text, 'utf8');
    const form = FORM_FILE.exec(path);
    if (content.length > PACKAGE_LIMITS.fileBytes) fail(path, 'maxSize', tooLarge(path));
    else if (form && !form[1]!.includes('/')) {
      const definition = parse(path, text);
      if (isObject(definition)) forms.push({ key: form[1]!, definition });
      else if (definition !== undefined) fail(path, 'type', notAForm(path));
    } else if (!Object.hasOwn(PARTS, path)) fail(path, 'additionalProperties', notInPackage(path));
    files.push({ path, content });
  }
  errors.push(...formKeyProblems(forms.map((f) => f.key)));
  for (const path of Object.keys(PARTS))
    if (!Object.hasOwn(texts, path)) fail(path, 'required', missing(path));

  const manifest = Object.hasOwn(texts, MANIFEST) ? parse(MANIFEST, texts[MANIFEST]!) : undefined;
  if (manifest !== undefined && !isObject(manifest)) {
    fail(MANIFEST, 'type', `${MANIFEST} must hold the manifest: a JSON object`);
  } else if (manifest !== undefined) {
    for (const field of ['id', 'version'] as const) {
      if (manifest[field] !== draft[field]) {
        errors.push({
          pointer: `/manifest/${field}`,
          keyword: 'const',
          message: `The manifest's ${field} is ${JSON.stringify(manifest[field] ?? null)}, but this is the draft of ${draft.id} ${draft.version}: a draft's manifest names its template and version`,
        });
      }
    }
  }
  if (errors.length > 0) throw new InputError(listed('The draft cannot be saved', errors), errors);
  forms.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const sorted = files.sort(byPath);
  return {
    pkg: {
      manifest: manifest as unknown as TemplateManifest,
      process: texts[PROCESS]!,
      forms,
      readme: texts[README]!,
    },
    hash: packageHash(sorted),
    files: sorted,
  };
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Packs a package as a `.tgz` with its files under `<id>/v<version>/`. The archive is deterministic
 * (see `writeTgz`): the same package always gives the same bytes, and reading it back gives the
 * same package and the hash of `packageFiles(pkg)`.
 */
export function writePackageTgz(pkg: TemplatePackage): Buffer {
  const files = packageFiles(pkg);
  const root = `${pkg.manifest.id}/v${pkg.manifest.version}`;
  const directories = [pkg.manifest.id, root, ...(pkg.forms.length > 0 ? [`${root}/forms`] : [])];
  return writeTgz(
    files.map((f) => ({ path: `${root}/${f.path}`, content: f.content })),
    directories,
  );
}

/**
 * Writes a package into a new version folder, which must be named `v<version>` and be empty or
 * absent: a version that exists is never written over.
 */
export async function writePackageDir(pkg: TemplatePackage, dir: string): Promise<void> {
  const files = packageFiles(pkg);
  const expected = `v${pkg.manifest.version}`;
  if (basename(dir) !== expected) {
    const message = `A package of version ${pkg.manifest.version} is written into a folder named ${expected}, not ${basename(dir)}`;
    throw new InputError(message, [{ pointer: '/manifest/version', keyword: 'folder', message }]);
  }
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) {
    throw new ConflictError(`${dir} is not empty: a package version is written into a new folder`);
  }
  if (pkg.forms.length > 0) await mkdir(join(dir, 'forms'));
  for (const file of files) await writeFile(join(dir, ...file.path.split('/')), file.content, { flag: 'wx' });
}

/** A package's JSON file with a key that reaches prototypes (`__proto__`…) is refused, not kept. */
function withoutForbiddenKeys(
  path: string,
  value: unknown,
  fail: (path: string, keyword: string, message: string) => void,
): unknown {
  const at = findForbiddenKey(value);
  if (at === null) return value;
  fail(path, 'key', `${path} uses a forbidden name (${[...FORBIDDEN_KEYS].join(', ')}) at ${at}`);
  return undefined;
}
