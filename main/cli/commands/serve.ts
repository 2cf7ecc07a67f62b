/**
 * `segstation serve [--port P] [--project DIR] [--host 127.0.0.1] [--static DIR] [--allow-origin URL ...]`: web mode
 * until interrupted. --allow-origin admits a renderer dev server (vite) as a caller.
 */
import { fileURLToPath } from 'node:url';
import { Engine } from '../../services/engine.ts';
import { startWebServer } from '../../server/webServer.ts';
import { InputError } from '../../util/errors.ts';
import { parseCommandArgs, parseIntegerOption } from '../args.ts';

export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../../dist/renderer/', import.meta.url));

export async function serveCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('serve', argv, {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    project: { type: 'string' },
    static: { type: 'string' },
    'allow-origin': { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new InputError('segstation serve', `unexpected argument '${positionals[0]}'`);
  const port = parseIntegerOption('serve', values.port, '--port', 0);
  if (port > 65535) throw new InputError('segstation serve', `--port must be at most 65535, got ${port}`);
  const engine = new Engine({ transport: 'web' });
  if (values.project) await engine.call('project.open', { dir: values.project });
  const server = await startWebServer({ engine, host: values.host, port, staticDir: values.static ?? DEFAULT_STATIC_DIR,
    allowedOrigins: values['allow-origin'] ?? [],
  });
  if (values.json) process.stdout.write(`${JSON.stringify({ url: server.pageUrl, baseUrl: server.url, token: server.token, port: server.port })}\n`);
  else process.stdout.write(`Segstation web UI: ${server.pageUrl}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      engine.dispose();
      void server.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
