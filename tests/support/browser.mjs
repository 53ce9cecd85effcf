// Debian's chromium, headless, driven by playwright-core: one way to launch
// it for every browser test, and where their screenshots go
// ($NANOKIT_ARTIFACTS, default <build>/artifacts/browser).

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { buildDir } from './stack.mjs';

export const artifacts = process.env.NANOKIT_ARTIFACTS ?? path.join(buildDir, 'artifacts', 'browser');
mkdirSync(artifacts, { recursive: true });

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
