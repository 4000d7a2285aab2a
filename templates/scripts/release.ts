import { InputError } from '../../engine/src/kernel/errors.ts';
import { recordRelease } from './released.ts';

/**
 * Records a template version as released: `npx tsx templates/scripts/release.ts <id> <version>`.
 * Its folder hash goes into templates/released.json, and from then on the lint fails if a byte of
 * templates/<id>/v<version> changes.
 */
const [id, version] = process.argv.slice(2);
if (!id || !version) {
  console.error('Usage: npx tsx templates/scripts/release.ts <id> <version>   e.g. deviation 1.0.0');
  process.exit(2);
}
try {
  const { key, hash, recorded } = await recordRelease(id, version.replace(/^v/, ''));
  console.log(
    recorded ? `Released ${key}: ${hash}` : `${key} was already released with this content: ${hash}`,
  );
} catch (error) {
  console.error((error as Error).message);
  if (error instanceof InputError)
    for (const e of error.errors) console.error(`  ${e.pointer}: ${e.message}`);
  process.exit(1);
}
