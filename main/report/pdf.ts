/**
 * HTML -> PDF with Chromium through playwright-core (the CLI's path; the desktop app prints with Electron's
 * printToPDF). The browser runs headless in a throw-away profile with networking features off: the report is
 * self-contained, so nothing needs the network.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../util/errors.ts';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | undefined {
  const fromEnv = process.env.SEGSTATION_CHROMIUM;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

/** Prints `htmlFile` to `pdfFile` (A4, backgrounds on). */
export async function printPdf(htmlFile: string, pdfFile: string): Promise<void> {
  const executablePath = findChromium();
  if (!executablePath) throw new InputError(pdfFile, `PDF output needs Chromium (looked for ${CHROMIUM_CANDIDATES.join(', ')}; or set SEGSTATION_CHROMIUM); write .html instead`);
  const { chromium } = await import('playwright-core');
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await context.newPage();
      await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
      await page.pdf({ path: pdfFile, format: 'A4', printBackground: true, preferCSSPageSize: true });
    } finally {
      await context.close();
    }
  } finally {
    await fs.rm(profile, { recursive: true, force: true });
  }
}
