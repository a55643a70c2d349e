// The headless Chromium every bench/sdk script measures in: Debian's build, with the background
// work that would land in the measured pages (networking, updates, sync) switched off.
import { chromium } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Launches /usr/bin/chromium with the bench's arguments. */
export const launchChromium = () => chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
