// The interface's words. t() reads the current language from a rune, so any
// template that calls it re-renders when the language switches.
import { da, type Key } from './da';
import { en } from './en';

export type Lang = 'da' | 'en';
export type { Key };
export const LANGS: readonly Lang[] = ['da', 'en'];
export const dictionaries: Record<Lang, Record<Key, string>> = { da, en };

const STORAGE_KEY = 'pejl:lang';

export const locale = $state<{ lang: Lang }>({ lang: 'da' });

export function t(key: Key, params?: Record<string, string | number>): string {
  const s = dictionaries[locale.lang][key] ?? dictionaries.da[key] ?? key;
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/**
 * A counted phrase: `base.one`, `base.other` (…) chosen by Intl.PluralRules for n in the
 * current language, with {n} filled in.
 */
export function tn(base: string, n: number, params: Record<string, string | number> = {}): string {
  const rule = new Intl.PluralRules(locale.lang === 'da' ? 'da-DK' : 'en-GB').select(n);
  const key = (`${base}.${rule}` in da ? `${base}.${rule}` : `${base}.other`) as Key;
  return t(key, { n, ...params });
}

export function isLang(x: unknown): x is Lang {
  return x === 'da' || x === 'en';
}

/** The language a person chose with the switch, if any. */
export function chosenLang(): Lang | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return isLang(v) ? v : null;
  } catch {
    return null;
  }
}

/** Apply a language to the page (and remember it when the person chose it). */
export function setLang(lang: Lang, remember = false): void {
  locale.lang = lang;
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      /* private mode */
    }
  }
}

/** The person's choice, else the given default (the session's language), else Danish. */
export function initLang(fallback?: string | null): Lang {
  const lang = chosenLang() ?? (isLang(fallback) ? fallback : 'da');
  setLang(lang);
  return lang;
}

export function fmtNumber(n: number, digits = 1): string {
  return n.toLocaleString(locale.lang === 'da' ? 'da-DK' : 'en-GB', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function fmtDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(locale.lang === 'da' ? 'da-DK' : 'en-GB', { year: 'numeric', month: 'short', day: 'numeric' });
}

/** The message for an error code, or the server's own message when we have no words for it. */
export function errorText(code: string | undefined, fallback?: string): string {
  const key = `error.${code}` as Key;
  if (code && key in da) return t(key);
  return fallback || t('error.generic');
}
