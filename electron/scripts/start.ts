/**
 * `npm start`: builds what the desktop app needs (the renderer if it is missing, the preload) and launches Electron.
 * Electron's binary is downloaded by its install script; where that did not happen this says so plainly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildPreload, ROOT } from './buildPreload.ts';

/**
 * The Electron binary, found the way the electron package finds it (path.txt names it under dist/), without requiring
 * the package: its index.js would try to download a missing binary.
 */
function electronBinary(): string | null {
  try {
    const dir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron');
    const pathFile = path.join(dir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const binary = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
if (!binary) {
  process.stderr.write(
    'segstation: the Electron binary is not installed (node_modules/electron has no dist/).\n' +
      '  With network access run `node node_modules/electron/install.js`, then `npm start` again.\n' +
      '  Without Electron, `npm run web` serves the same viewer in a browser.\n',
  );
  process.exit(1);
}

const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
if (!existsSync(path.join(ROOT, 'dist', 'renderer', 'index.html')) && scripts['build:renderer']) {
  const built = spawnSync('npm', ['run', 'build:renderer'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
await buildPreload();
const child = spawn(binary, [path.join(ROOT, 'electron', 'bootstrap.mjs'), ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
