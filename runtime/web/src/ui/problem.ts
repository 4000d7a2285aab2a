import { t } from '@attest/task-form/i18n';
import { Problem } from '../api.ts';

/** A refusal in words: the detail, and every error with where it is. */
export function problemText(error: unknown): string {
  if (!(error instanceof Problem)) return t('admin.error', { detail: (error as Error).message });
  if (error.errors.length === 0) return error.detail;
  const listed = error.errors.map((e) => (e.pointer ? `${e.pointer}: ${e.message}` : e.message));
  return `${error.detail} ${listed.join('; ')}`;
}

/** Runs a request for a dialog: null when it succeeded, the refusal in words when not. */
export async function attempt(action: () => Promise<unknown>): Promise<string | null> {
  try {
    await action();
    return null;
  } catch (error) {
    return problemText(error);
  }
}
