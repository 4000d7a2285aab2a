import { translate, type Language, type MessageKey } from './translate.ts';

export { LANGUAGES, translate, type Language } from './translate.ts';

const STORAGE_KEY = 'attest.language';

let current: Language = initialLanguage();

function initialLanguage(): Language {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (stored === 'en' || stored === 'zh-CN') return stored;
  return globalThis.navigator?.language?.startsWith('zh') ? 'zh-CN' : 'en';
}

export const isLanguage = (value: unknown): value is Language => value === 'en' || value === 'zh-CN';

export function language(): Language {
  return current;
}

/** Switches the language for this browser; the next render shows it. */
export function setLanguage(next: Language): void {
  current = next;
  globalThis.localStorage?.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
}

/** The text of a key in the current language, with `{name}` filled from params. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return translate(current, key, params);
}

export type { MessageKey };
