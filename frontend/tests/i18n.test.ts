import { describe, expect, it } from 'vitest';
import { da } from '../src/lib/i18n/da';
import { en } from '../src/lib/i18n/en';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n', () => {
  it('has every key in both languages, none empty', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(da).sort());
    for (const [k, v] of Object.entries(da)) expect(v.trim(), `da ${k}`).not.toBe('');
    for (const [k, v] of Object.entries(en)) expect(v.trim(), `en ${k}`).not.toBe('');
  });

  it('uses the same placeholders in both languages', () => {
    for (const k of Object.keys(da) as (keyof typeof da)[]) {
      expect(placeholders(en[k]), k).toEqual(placeholders(da[k]));
    }
  });

  it('uses the words of shared/i18n-da.md', () => {
    expect(da['code.label']).toBe('Indtast koden');
    expect(da['code.submit']).toBe('Deltag');
    expect([1, 2, 3, 4, 5].map((n) => da[`scale.${n}` as keyof typeof da])).toEqual([
      'Slet ikke', 'I ringe grad', 'I nogen grad', 'I høj grad', 'I meget høj grad',
    ]);
    expect([1, 2, 3, 4, 5].map((n) => en[`scale.${n}` as keyof typeof en])).toEqual([
      'Not at all', 'To a small extent', 'To some extent', 'To a large extent', 'To a very large extent',
    ]);
    expect(da['live.sending']).toBe('Sender …');
    expect(da['live.saved']).toBe('Gemt');
    expect(da['conn.lost']).toBe('Forbindelsen er afbrudt – vi prøver igen …');
    expect(da['conn.back']).toBe('Forbundet igen');
    expect(en['conn.lost']).toBe('Connection lost – retrying …');
    expect(da['login.email']).toBe('E-mail');
    expect(da['login.password']).toBe('Adgangskode');
    expect(da['login.submit']).toBe('Log ind');
    expect(da['host.deleteConfirm']).toBe('Slet forløbet og alle svar');
    expect(da['comment.upvote']).toBe('Enig (+1)');
    expect(da['live.ended']).toBe('Tak for din deltagelse!');
  });

  it('every key used in the source exists', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(svelte|ts)$/.test(f) && !p.includes('i18n')) files.push(p);
      }
    };
    walk(fileURLToPath(new URL('../src', import.meta.url)));
    const missing: string[] = [];
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) if (!(m[1] in da)) missing.push(`${f}: ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });
});
