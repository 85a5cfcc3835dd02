import type { Activity } from '../../../lib/api/types';
import { dictionaries, t, type Key } from '../../../lib/i18n/index.svelte';

const scaleKeys: Key[] = ['scale.1', 'scale.2', 'scale.3', 'scale.4', 'scale.5'];
const same = (a: string[] | undefined, b: string[]) => !!a && a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Labels for a scale activity in the interface's language: the spec's default
 * five labels (in either language) are translated; custom labels are kept.
 */
export function scaleLabels(a: Activity): string[] {
  const min = a.min ?? 1;
  const max = a.max ?? 5;
  const isDefault =
    min === 1 &&
    max === 5 &&
    (!a.labels?.length ||
      same(a.labels, scaleKeys.map((k) => dictionaries.da[k])) ||
      same(a.labels, scaleKeys.map((k) => dictionaries.en[k])));
  if (isDefault) return scaleKeys.map((k) => t(k));
  return Array.from({ length: max - min + 1 }, (_, i) => a.labels?.[i] ?? String(min + i));
}

/** The default scale prompt is translated too. */
export function scalePrompt(a: Activity): string {
  if (!a.prompt || a.prompt === dictionaries.da['scale.prompt'] || a.prompt === dictionaries.en['scale.prompt']) {
    return t('scale.prompt');
  }
  return a.prompt;
}

/** A comments activity's heading: the default prompt ("Skriv en kommentar") reads better as "Kommentarer". */
export function commentsHeading(a: Activity): string {
  if (!a.prompt || a.prompt === dictionaries.da['comment.label'] || a.prompt === dictionaries.en['comment.label']) {
    return t('comment.heading');
  }
  return a.prompt;
}

/** An axis of a gap rating: its labels (the default five translated), else its numbers. */
export function axisLabels(x: { min: number; max: number; labels?: string[] }): string[] {
  return scaleLabels({ id: '', kind: 'scale', section: '', state: 'closed', results: 'hidden', ...x });
}

/** A gap rating's heading: the default prompt in the interface's language. */
export function gapPrompt(a: Activity): string {
  const defaults = ['I dag / ønsket: hvor står vi, og hvor vil vi hen?', 'Today / wanted: where are we, and where do we want to be?'];
  if (!a.prompt || defaults.includes(a.prompt)) return t('gap.kind');
  return a.prompt;
}
