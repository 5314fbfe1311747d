// Content types for the renderer's built files, shared by the HTTP server and Electron's app:// protocol.
import path from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

export const mimeOf = (file: string): string => types[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

/** Resolves a URL path inside a folder, or null when it would escape it. */
export function fileInside(dir: string, urlPath: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const file = path.join(dir, path.normalize(rel));
  return file === dir || file.startsWith(dir + path.sep) ? file : null;
}
