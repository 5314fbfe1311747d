// One Content-Security-Policy for the renderer, whichever process serves it: scripts and styles only
// from the app itself, images also from blob:/data: (thumbnails and decoded canvases), no plugins,
// no framing, no form posts, and network access only back to the serving origin.
export function contentSecurityPolicy(connectExtra: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src 'self'${connectExtra.map((c) => ` ${c}`).join('')}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
