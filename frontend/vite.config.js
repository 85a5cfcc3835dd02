// Vite build for Pejl's three pages. Each page is its own entry so the
// participant's phone only loads what the participant view needs.
import { writeFileSync, mkdirSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const here = dirname(fileURLToPath(import.meta.url));

/** Keep dist/.keep so `go build` works from a fresh clone (embed.go embeds dist/). */
function keepDist() {
  return {
    name: 'pejl-keep-dist',
    apply: 'build',
    closeBundle() {
      mkdirSync(resolve(here, 'dist'), { recursive: true });
      writeFileSync(resolve(here, 'dist/.keep'), '');
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [svelte(), keepDist()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        index: resolve(here, 'index.html'),
        host: resolve(here, 'host.html'),
        present: resolve(here, 'present.html'),
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: process.env.PEJL_DEV_API || 'http://127.0.0.1:8080', ws: true },
    },
  },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
  },
});
