import { en, type MessageKey } from './en.ts';
import { zhCN } from './zh-CN.ts';

export const LANGUAGES = { en: 'English', 'zh-CN': '简体中文' } as const;
export type Language = keyof typeof LANGUAGES;

const catalogues: Record<Language, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };
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

/** The text of a key in a language, with `{name}` filled from params. */
export function translate(
  language: Language,
  key: MessageKey,
  params: Record<string, string | number> = {},
): string {
  return catalogues[language][key].replace(/\{(\w+)\}/g, (_, name: string) =>
    String(params[name] ?? `{${name}}`),
  );
}

/** The text of a key in the current language, with `{name}` filled from params. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return translate(current, key, params);
}

export type { MessageKey };
