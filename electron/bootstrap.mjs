// Electron's entry: registers the app:// scheme (must happen before 'ready', so before any await), lets Node load the
// TypeScript sources through tsx, then starts electron/main.ts. Plain JS because nothing has been compiled yet.
import { protocol } from 'electron';
import { register } from 'tsx/esm/api';

protocol.registerSchemesAsPrivileged([
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: true } },
]);
register();
await import('./main.ts');
