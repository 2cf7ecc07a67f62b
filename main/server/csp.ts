/**
 * The Content-Security-Policy of the viewer page, shared by web mode (HTTP header) and Electron (session header).
 * Scripts only from the app itself ('wasm-unsafe-eval' for WebAssembly, no eval), no plugins, no framing, no form
 * posts, network only back to the engine. Inline styles stay allowed because Vue and vtk.js set element styles.
 */
export interface CspOptions {
  /** Extra connect-src sources (web mode adds its ws:// origin; Electron has none). */
  connect?: string[];
}

export function contentSecurityPolicy(options: CspOptions = {}): string {
  const connect = ["'self'", ...(options.connect ?? [])].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src ${connect}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
