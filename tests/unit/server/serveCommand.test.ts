import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('segstation serve', () => {
  it('prints the URL with a random token, answers 401 without it and the page with it', async () => {
    const config = mkdtempSync(path.join(os.tmpdir(), 'segstation-serve-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', 'serve', '--port', '0'], {
      env: { ...process.env, SEGSTATION_CONFIG_DIR: config },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const match = /^Segstation web UI: (http:\/\/127\.0\.0\.1:\d+)\/\?token=([A-Za-z0-9_-]{20,})$/.exec(line);
      expect(match, line).not.toBeNull();
      const [, base, token] = match!;
      expect((await fetch(`${base}/`)).status).toBe(401);
      const page = await fetch(`${base}/?token=${token}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(config, { recursive: true, force: true });
    }
  });

  it('refuses to listen beyond the loopback interface', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', 'serve', '--host', '0.0.0.0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/--host: web mode listens on the loopback interface only/);
  });
});
