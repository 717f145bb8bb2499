import { type Browser, chromium } from 'playwright-core';
import { requireService } from './tiers.js';

/** Debian's Chromium (.ci/setup.d/30-chromium.sh, or PLANTID_CHROMIUM), headless, offline, through playwright-core. */
export function launchChromium(): Promise<Browser> {
  requireService('Chromium');
  return chromium.launch({
    executablePath: process.env.PLANTID_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
