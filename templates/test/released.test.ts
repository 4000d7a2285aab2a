import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileBpmn } from '../../engine/src/bpmn/model/compile.ts';
import { compileForm } from '../../engine/src/forms/compiler.ts';
import { readPackageDir, writePackageDir } from '../../engine/src/templates/package.ts';
import { fixturePackage } from '../../engine/test/templates/fixturePackage.ts';
import { readReleased, recordRelease, releaseProblem, versionFolders } from '../scripts/released.ts';

const folders = await versionFolders();
const released = await readReleased();

describe('Feature: the shipped templates, and released versions never change', () => {
  describe('Scenario: every version folder is a valid package', () => {
    for (const folder of folders) {
      it(`${folder.name} reads as version ${folder.version} of ${folder.id}`, async () => {
        const { pkg } = await readPackageDir(folder.dir);
        assert.equal(
          pkg.manifest.id,
          folder.id,
          `${folder.name}/manifest.json has the id ${pkg.manifest.id}`,
        );
        assert.equal(pkg.manifest.version, folder.version);
      });

      it(`${folder.name}: its process and forms compile`, async () => {
        const { pkg } = await readPackageDir(folder.dir);
        await compileBpmn(pkg.process);
        for (const form of pkg.forms) compileForm(form.definition);
      });
    }
  });

  describe('Scenario: every released version is as it was released', () => {
    for (const [key, hash] of Object.entries(released)) {
      it(`${key} is unchanged`, async () => {
        const problem = await releaseProblem(key, hash);
        if (problem) assert.fail(problem);
      });
    }
  });

  describe('Scenario: recording a release, and the lint refusing a changed one', () => {
    let root: string;
    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'attest-released-'));
      await writeFile(join(root, 'released.json'), '{}\n');
      await writePackageDir(fixturePackage(), join(root, 'deviation', 'v1.0.0'));
    });
    afterEach(() => rm(root, { recursive: true, force: true }));

    it('Given a valid version folder, when it is released, then its hash is recorded once', async () => {
      const first = await recordRelease('deviation', '1.0.0', root);
      assert.equal(first.recorded, true);
      assert.deepEqual(await readReleased(root), { 'deviation@1.0.0': first.hash });
      assert.equal(await releaseProblem(first.key, first.hash, root), null);
      assert.deepEqual(await recordRelease('deviation', '1.0.0', root), { ...first, recorded: false });
    });

    it('Given a released folder that was edited, then the lint names both hashes and the way out', async () => {
      const { key, hash } = await recordRelease('deviation', '1.0.0', root);
      const readme = join(root, 'deviation', 'v1.0.0', 'README.md');
      await writeFile(readme, `${await readFile(readme, 'utf8')}A late edit.\n`);
      const problem = await releaseProblem(key, hash, root);
      assert.match(
        problem ?? '',
        new RegExp(
          `^templates/deviation/v1\\.0\\.0 was released with hash ${hash}; its content changed to [0-9a-f]{64}\\. A released version is never edited: copy it to a new version folder\\.$`,
        ),
      );
      await assert.rejects(recordRelease('deviation', '1.0.0', root), /A released version is never edited/);
    });

    it('Given a released version whose folder is gone, then the lint says so', async () => {
      await writeFile(join(root, 'released.json'), JSON.stringify({ 'deviation@0.9.0': 'a'.repeat(64) }));
      assert.match(
        (await releaseProblem('deviation@0.9.0', 'a'.repeat(64), root)) ?? '',
        /the folder is missing/,
      );
    });

    it('Given versions of several templates, then the folders are found and released.json stays sorted', async () => {
      const next = fixturePackage();
      next.manifest = { ...next.manifest, version: '1.10.0' };
      await writePackageDir(next, join(root, 'deviation', 'v1.10.0'));
      await writePackageDir(
        { ...next, manifest: { ...next.manifest, id: 'capa', version: '1.2.0' } },
        join(root, 'capa', 'v1.2.0'),
      );
      assert.deepEqual(
        (await versionFolders(root)).map((f) => f.name),
        ['templates/capa/v1.2.0', 'templates/deviation/v1.0.0', 'templates/deviation/v1.10.0'],
      );
      for (const [id, version] of [
        ['deviation', '1.10.0'],
        ['capa', '1.2.0'],
        ['deviation', '1.0.0'],
      ] as const) {
        await recordRelease(id, version, root);
      }
      assert.deepEqual(Object.keys(await readReleased(root)), [
        'capa@1.2.0',
        'deviation@1.0.0',
        'deviation@1.10.0',
      ]);
    });
  });
});
