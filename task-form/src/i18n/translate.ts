import { en, type MessageKey } from './en.ts';
import { zhCN } from './zh-CN.ts';

export const LANGUAGES = { en: 'English', 'zh-CN': '简体中文' } as const;
export type Language = keyof typeof LANGUAGES;
export type { MessageKey };

const catalogues: Record<Language, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };

/**
 * `{count, plural, one {# record} other {# records}}`: the case the language's plural rules give
 * for the number (an exact `=0` first), `#` being the number. Chinese needs only `{count}`.
 */
const PLURAL = /\{(\w+), plural,((?:\s*(?:=\d+|zero|one|two|few|many|other)\s*\{[^{}]*\})+)\s*\}/g;
const PLURAL_CASE = /(=\d+|\w+)\s*\{([^{}]*)\}/g;

function plurals(language: Language, text: string, params: Record<string, string | number>): string {
  return text.replace(PLURAL, (whole, name: string, cases: string) => {
    if (typeof params[name] !== 'number') return whole;
    const n = params[name];
    const options = new Map([...cases.matchAll(PLURAL_CASE)].map((m) => [m[1]!, m[2]!]));
    const chosen =
      options.get(`=${n}`) ?? options.get(new Intl.PluralRules(language).select(n)) ?? options.get('other')!;
    return chosen.replace(/#/g, String(n));
  });
}

/** The text of a key in a language, with plurals chosen and `{name}` filled from params. */
export function translate(
  language: Language,
  key: MessageKey,
  params: Record<string, string | number> = {},
): string {
  return plurals(language, catalogues[language][key], params).replace(/\{(\w+)\}/g, (_, name: string) =>
    String(params[name] ?? `{${name}}`),
  );
}
