import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_USERS, PasswordChangeRequiredError, type Engine, type Principal } from '@attest/engine';

export type DemoUser = (typeof DEMO_USERS)[number]['username'];

/** The author who imports, submits and releases the shipped templates, and the approver (B5: not the same). */
const AUTHOR: DemoUser = 'quinn';
const APPROVER: DemoUser = 'petra';

const VERSION_FOLDER = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export interface SeededTemplate {
  templateId: string;
  /** The highest shipped version. */
  version: string;
  /** Where that version is now; null when the template could not be seeded. */
  status: string | null;
}

export interface SeedOutput {
  log?: (line: string) => void;
  warn?: (line: string) => void;
}

export const passwordOf = (username: DemoUser) => DEMO_USERS.find((u) => u.username === username)!.password;

/** A demo user signed in with the printed password, as `attest start --demo` does. */
export async function demoSignIn(engine: Engine, username: DemoUser): Promise<Principal> {
  const { sessionId } = await engine.identity.login({
    username,
    password: passwordOf(username),
    client: 'attest start --demo',
  });
  return engine.identity.authenticate(sessionId, { allowPasswordChange: true });
}

const label = (status: string) => status.replace('_', ' ');

/** The version folders `<root>/<id>/v<x.y.z>/` by template folder, lowest version first. */
async function shippedVersions(root: string): Promise<Map<string, { version: string; dir: string }[]>> {
  const found = new Map<string, { version: string; dir: string; order: number[] }[]>();
  for (const template of await readdir(root, { withFileTypes: true })) {
    if (!template.isDirectory()) continue;
    for (const folder of await readdir(join(root, template.name), { withFileTypes: true })) {
      const match = VERSION_FOLDER.exec(folder.name);
      if (!folder.isDirectory() || !match) continue;
      const versions = found.get(template.name) ?? [];
      versions.push({
        version: folder.name.slice(1),
        dir: join(root, template.name, folder.name),
        order: match.slice(1).map(Number),
      });
      found.set(template.name, versions);
    }
  }
  const byVersion = (a: { order: number[] }, b: { order: number[] }) =>
    a.order[0]! - b.order[0]! || a.order[1]! - b.order[1]! || a.order[2]! - b.order[2]!;
  return new Map(
    [...found.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, versions]) => [id, versions.sort(byVersion).map(({ version, dir }) => ({ version, dir }))]),
  );
}

/**
 * Demo mode: every shipped template version folder (`templates/<id>/v<version>/`) is imported by
 * quinn, submitted, approved by petra with her signature, and the highest version of each template
 * made effective by quinn, so records can be started at once. Idempotent: a version imported before
 * with the same content is left where it is, an effective one alone; petra signs in only when a
 * version waits for her approval. A template that cannot be seeded is reported and skipped.
 */
export async function seedDemoTemplates(
  engine: Engine,
  templatesDir: string | URL,
  output: SeedOutput = {},
): Promise<SeededTemplate[]> {
  const log = output.log ?? ((line: string) => console.log(line));
  const warn = output.warn ?? ((line: string) => console.error(line));
  const root = typeof templatesDir === 'string' ? templatesDir : fileURLToPath(templatesDir);
  const shipped = await shippedVersions(root);
  if (shipped.size === 0) return [];

  const sessions: Principal[] = [];
  const signIn = async (username: DemoUser) => {
    const principal = await demoSignIn(engine, username);
    sessions.push(principal);
    if (principal.mustChangePassword) throw new PasswordChangeRequiredError();
    return principal;
  };
  const seeded: SeededTemplate[] = [];
  try {
    let author: Principal;
    try {
      author = await signIn(AUTHOR);
    } catch (error) {
      warn(`The shipped templates were not seeded: ${AUTHOR} cannot sign in (${(error as Error).message})`);
      return [...shipped].map(([templateId, versions]) => ({
        templateId,
        version: versions.at(-1)!.version,
        status: null,
      }));
    }
    let approver: Principal | null = null;
    for (const [folder, versions] of shipped) {
      const highest = versions.at(-1)!;
      try {
        let templateId = folder;
        for (const { dir } of versions) {
          const imported = await engine.templates.import(author, { dir });
          templateId = imported.templateId;
          let { status } = imported;
          if (status === 'draft') {
            ({ status } = await engine.templates.submit(author, templateId, imported.version));
          }
          if (status === 'in_review') {
            approver ??= await signIn(APPROVER);
            await engine.templates.approve(approver, templateId, imported.version, {
              password: passwordOf(APPROVER),
            });
          }
        }
        let view = await engine.templates.get(author, templateId, highest.version);
        if (view.status === 'approved') {
          view = await engine.templates.makeEffective(author, templateId, highest.version);
        }
        log(`Template ${templateId} ${view.version} is ${label(view.status)}`);
        seeded.push({ templateId, version: view.version, status: view.status });
      } catch (error) {
        warn(`Template ${folder} ${highest.version} was not seeded: ${(error as Error).message}`);
        seeded.push({ templateId: folder, version: highest.version, status: null });
      }
    }
  } finally {
    for (const principal of sessions) await engine.identity.logout(principal);
  }
  return seeded;
}
