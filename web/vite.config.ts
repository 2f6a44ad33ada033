import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard builds into dist/web, next to the compiled server, which serves it on the API
// port (docs/adr/0018-dashboard.md). Preact's JSX runtime is set here: no framework plugin needed.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite web` during development: API calls go to a running `flowline serve`.
    proxy: { '/v1': 'http://127.0.0.1:7420' },
  },
});
