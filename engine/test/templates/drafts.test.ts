import assert from 'node:assert/strict';
import { ConflictError, InputError, type Principal } from '../../src/index.ts';
import type { TemplatePackage } from '../../src/templates/package.ts';
import { createColleague, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';
import { fixturePackage } from './fixturePackage.ts';

/** A package of the `spill` template as the designer sends it: its files by path, as text. */
function files(version: string, change: (pkg: TemplatePackage) => TemplatePackage = (p) => p) {
  const pkg = fixturePackage();
  const sample = {
    ...pkg,
    manifest: { ...pkg.manifest, id: 'spill', version, roles: ['operator'], qualifications: {} },
    process: pkg.process
      .replace('id="deviation"', 'id="spill"')
      .replace('attest:candidateRoles="author"', 'attest:candidateRoles="operator"'),
  };
  const { manifest, process, forms, readme } = change(sample);
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    'manifest.json': json(manifest),
    'process.bpmn': process,
    'README.md': readme,
    ...Object.fromEntries(forms.map((f) => [`forms/${f.key}.json`, json(f.definition)])),
  };
}

/** Half-finished work: a numbering without a sequence, a complex gateway, a form with JavaScript. */
const unfinished = (pkg: TemplatePackage): TemplatePackage => ({
  ...pkg,
  manifest: { ...pkg.manifest, numbering: 'SPILL' },
  process: pkg.process.replace(
    '<exclusiveGateway id="severity" default="f4" />',
    '<complexGateway id="severity" />',
  ),
  forms: pkg.forms.map((f) =>
    f.key === 'report'
      ? {
          key: f.key,
          definition: {
            components: [
              { type: 'textfield', key: 'title', label: 'Title', validate: { custom: 'valid = true' } },
            ],
          },
        }
      : f,
  ),
});

async function rejection(promise: Promise<unknown>): Promise<InputError | ConflictError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof InputError || error instanceof ConflictError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

describe('Feature: template drafts saved as the designer edits them', () => {
  let ctx: TestContext;
  let quinn: Principal;
  let quentin: Principal;
  before(async () => {
    ctx = await startTestEngine();
    quinn = await loginAs(ctx.engine, 'quinn');
    quentin = (await createColleague(ctx, 'quentin', ['qa'])).principal;
  });
  after(() => ctx.close());

  it('D1: a draft is saved before it compiles, with every problem; it is submitted only once it compiles', async () => {
    const { templates } = ctx.engine;
    const first = await templates.saveDraft(quinn, 'spill', '1.0.0', {
      files: files('1.0.0', unfinished),
      baseHash: null,
    });
    assert.deepEqual(
      [first.created, first.revised, first.status, first.compiles],
      [true, false, 'draft', false],
    );
    assert.deepEqual(first.problems.map((p) => p.pointer).sort(), [
      '/forms/report/components/0',
      '/manifest/numbering',
      '/process/elements/severity',
    ]);
    assert.equal((await templates.get(quinn, 'spill', '1.0.0')).compiles, false);
    assert.deepEqual(
      (await templates.list(quinn, { templateId: 'spill' })).map((t) => [t.version, t.compiles]),
      [['1.0.0', false]],
    );

    const refused = await rejection(templates.submit(quinn, 'spill', '1.0.0'));
    assert.ok(refused instanceof InputError);
    assert.match(
      refused.message,
      /spill 1\.0\.0 cannot be submitted for review: .*custom JavaScript validation/,
    );
    assert.deepEqual(
      refused.errors.map((e) => e.pointer).sort(),
      first.problems.map((p) => p.pointer).sort(),
    );
    assert.equal((await templates.get(quinn, 'spill', '1.0.0')).status, 'draft');

    const fixed = await templates.saveDraft(quinn, 'spill', '1.0.0', {
      files: files('1.0.0'),
      baseHash: first.contentHash,
    });
    assert.deepEqual([fixed.created, fixed.revised, fixed.compiles, fixed.problems], [false, true, true, []]);
    assert.equal((await templates.submit(quinn, 'spill', '1.0.0')).status, 'in_review');

    const history = await templates.history(quinn, 'spill', '1.0.0');
    assert.deepEqual(
      history.map((e) => e.type),
      ['template.imported', 'template.revised', 'template.submitted'],
    );
    assert.equal(history[0]!.payload.contentHash, first.contentHash);
    assert.deepEqual(history[1]!.payload.changes, [
      { path: '/contentHash', old: first.contentHash, new: fixed.contentHash },
    ]);
    const late = await rejection(
      templates.saveDraft(quinn, 'spill', '1.0.0', {
        files: files('1.0.0', unfinished),
        baseHash: fixed.contentHash,
      }),
    );
    assert.ok(late instanceof ConflictError);
    assert.match(late.message, /is in review: a released version never changes/);
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('D1: a draft saved the way an import would be hashes and reads the same', async () => {
    const { templates } = ctx.engine;
    const saved = await templates.saveDraft(quinn, 'spill', '1.1.0', {
      files: files('1.1.0'),
      baseHash: null,
    });
    const imported = await templates.import(quinn, {
      files: Object.entries(files('1.1.0')).map(([path, text]) => ({ path, content: Buffer.from(text) })),
    });
    assert.deepEqual(
      [imported.contentHash, imported.created, imported.revised],
      [saved.contentHash, false, false],
    );
  });

  it('G1: of two people editing one draft, the save based on old content is refused, naming who saved and when', async () => {
    const { templates } = ctx.engine;
    const mine = await templates.saveDraft(quinn, 'spill', '2.0.0', {
      files: files('2.0.0'),
      baseHash: null,
    });
    const theirs = await templates.saveDraft(quentin, 'spill', '2.0.0', {
      files: files('2.0.0', (p) => ({ ...p, readme: '# Spill\n\nTheirs.\n' })),
      baseHash: mine.contentHash,
    });
    assert.equal(theirs.revised, true);
    const stale = await rejection(
      templates.saveDraft(quinn, 'spill', '2.0.0', {
        files: files('2.0.0', (p) => ({ ...p, readme: '# Spill\n\nMine.\n' })),
        baseHash: mine.contentHash,
      }),
    );
    assert.ok(stale instanceof ConflictError);
    const at = (await templates.history(quinn, 'spill', '2.0.0')).at(-1)!.at;
    assert.equal(
      stale.message,
      `spill 2.0.0 was changed by Test quentin at ${at}; reload to see their changes`,
    );

    // The same content again is no conflict, whatever it was based on: a retried save changes nothing.
    const again = await templates.saveDraft(quinn, 'spill', '2.0.0', {
      files: files('2.0.0', (p) => ({ ...p, readme: '# Spill\n\nTheirs.\n' })),
      baseHash: mine.contentHash,
    });
    assert.deepEqual([again.created, again.revised, again.contentHash], [false, false, theirs.contentHash]);
    const create = await rejection(
      templates.saveDraft(quinn, 'spill', '2.0.0', { files: files('2.0.0'), baseHash: null }),
    );
    assert.match(create.message, /was changed by Test quentin at/);
    const nothing = await rejection(
      templates.saveDraft(quinn, 'spill', '2.0.1', { files: files('2.0.1'), baseHash: mine.contentHash }),
    );
    assert.match(nothing.message, /There is no version 2\.0\.1 of spill to save over/);
    assert.deepEqual(
      (await templates.history(quinn, 'spill', '2.0.0')).map((e) => `${e.type}:${e.actorName}`),
      ['template.imported:Quinn Quaye', 'template.revised:Test quentin'],
    );
  });

  it('G1: two saves at the same moment, creating or revising: one is saved, the other told who saved', async () => {
    const { templates } = ctx.engine;
    const readme = (text: string) => (p: TemplatePackage) => ({ ...p, readme: `# Spill\n\n${text}\n` });
    const settle = (saves: Promise<unknown>[]) => Promise.allSettled(saves);
    const outcome = (results: PromiseSettledResult<unknown>[]) => {
      const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason as Error);
      assert.equal(refused.length, 1, String(refused));
      assert.ok(refused[0] instanceof ConflictError, String(refused[0]));
      assert.match(refused[0].message, /^spill 5\.0\.0 was changed by (Quinn Quaye|Test quentin) at /);
    };
    outcome(
      await settle([
        templates.saveDraft(quinn, 'spill', '5.0.0', { files: files('5.0.0', readme('A')), baseHash: null }),
        templates.saveDraft(quentin, 'spill', '5.0.0', {
          files: files('5.0.0', readme('B')),
          baseHash: null,
        }),
      ]),
    );
    const base = (await templates.get(quinn, 'spill', '5.0.0')).contentHash;
    outcome(
      await settle([
        templates.saveDraft(quinn, 'spill', '5.0.0', { files: files('5.0.0', readme('C')), baseHash: base }),
        templates.saveDraft(quentin, 'spill', '5.0.0', {
          files: files('5.0.0', readme('D')),
          baseHash: base,
        }),
      ]),
    );
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('D1: what cannot be a package version is refused, and nothing is saved', async () => {
    const { templates } = ctx.engine;
    const broken = {
      ...files('3.0.0'),
      'notes.txt': 'scratch',
      'forms/report.json': '{ "components": [',
      'manifest.json': JSON.stringify({ id: 'spill', version: '3.0.1' }),
    };
    delete (broken as Record<string, string>)['README.md'];
    const refused = await rejection(
      templates.saveDraft(quinn, 'spill', '3.0.0', { files: broken, baseHash: null }),
    );
    assert.ok(refused instanceof InputError);
    assert.deepEqual(refused.errors.map((e) => `${e.pointer} ${e.keyword}`).sort(), [
      '/files/README.md required',
      '/files/forms/report.json json',
      '/files/notes.txt additionalProperties',
      '/manifest/version const',
    ]);
    await assert.rejects(templates.get(quinn, 'spill', '3.0.0'), /There is no version 3\.0\.0/);
  });

  it('A2: saving a draft needs the authority to manage templates', async () => {
    const olivia = await loginAs(ctx.engine, 'olivia');
    await assert.rejects(
      ctx.engine.templates.saveDraft(olivia, 'spill', '4.0.0', { files: files('4.0.0'), baseHash: null }),
      /olivia may not author templates/,
    );
  });
});
