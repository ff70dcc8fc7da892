// The console's build: Preact's JSX through Vite's own transform (no plugin needed), one
// hashed bundle under dist/assets, and a report of its gzipped size for the size test.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', target: 'es2022', reportCompressedSize: false, sourcemap: false },
  logLevel: 'warn',
});
