// Renderer build (run by scripts/build.mjs with root = renderer/). Relative base so the same files load
// from app://renderer/ in Electron and from the HTTP server in browser mode.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    // The strict CSP forbids inline scripts and data: modules; keep every asset a real file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 2000,
  },
  worker: { format: 'es' },
});
