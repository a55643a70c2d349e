// The libraries the SDK bench loads, each as one script a site would add: Satu's satu.min.js as
// built, and Segment's and RudderStack's npm packages bundled here with esbuild (minified, no CDN),
// each starting itself from its script tag's data- attributes as its snippet would. Each sets
// `window.benchLib` (an object with track/page/identify/group/alias) and `window.benchReadyAt`
// (performance.now() when it accepts calls itself rather than buffering them).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

/** Bundles an entry module's source the way a site would ship it: one minified script. */
async function bundle(root, contents) {
  const out = await esbuild.build({
    stdin: { contents, resolveDir: root, loader: 'js' },
    bundle: true, minify: true, format: 'iife', target: 'es2020', write: false, legalComments: 'none', logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return out.outputFiles[0].contents;
}

const ready = 'window.benchReadyAt = performance.now()';

/**
 * @param {string} root the repository root
 * @returns {Promise<{ name: string, file: string, code: Uint8Array, tag(host: string, writeKey: string): string }[]>}
 */
export async function libraries(root) {
  const version = (pkg) => JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  return [
    {
      name: 'Satu satu.min.js',
      file: '/lib/satu.js',
      code: readFileSync(path.join(root, 'sdk/dist/satu.min.js')),
      // Automatic page views off, as for the others: every library gets exactly the bench's calls.
      // satu.min.js accepts calls as soon as it has run: window.satu is then a stand-in that starts the
      // SDK on first use, or the SDK once it started when the page was idle (bench/sdk/start.mjs times that start).
      tag: (host, writeKey) =>
        `<script src="/lib/satu.js" data-write-key="${writeKey}" data-host="${host}" data-auto-page="false"></script>` +
        `<script>window.benchLib = window.satu; ${ready}</script>`,
    },
    {
      name: `@segment/analytics-next ${version('@segment/analytics-next')}`,
      file: '/lib/segment.js',
      code: await bundle(root, `
        import { AnalyticsBrowser } from '@segment/analytics-next';
        const { writeKey, host } = document.currentScript.dataset;
        // Settings come from cdnURL (the sink), events go to apiHost (the sink).
        AnalyticsBrowser.load(
          { writeKey, cdnURL: host },
          { integrations: { 'Segment.io': { apiHost: host.replace(/^https?:\\/\\//, '') + '/v1', protocol: 'http' } } },
        ).then(([analytics]) => { window.benchLib = analytics; ${ready}; });
      `),
      tag: (host, writeKey) => `<script src="/lib/segment.js" data-write-key="${writeKey}" data-host="${host}"></script>`,
    },
    {
      name: `@rudderstack/analytics-js ${version('@rudderstack/analytics-js')}`,
      file: '/lib/rudder.js',
      // The "bundled" build: its plugins are in the bundle, not fetched from its CDN.
      code: await bundle(root, `
        import { RudderAnalytics } from '@rudderstack/analytics-js/bundled';
        const { writeKey, host } = document.currentScript.dataset;
        const analytics = new RudderAnalytics();
        analytics.load(writeKey, host, { configUrl: host, logLevel: 'NONE', polyfillIfRequired: false });
        analytics.ready(() => { window.benchLib = analytics; ${ready}; });
      `),
      tag: (host, writeKey) => `<script src="/lib/rudder.js" data-write-key="${writeKey}" data-host="${host}"></script>`,
    },
    {
      // The measurement's floor: calls that do nothing, timed the same way (on a loaded machine a
      // call that does nothing still measures tens of us: timer resolution and a cold CPU cache).
      name: 'no-op (floor of the measurement)',
      file: '/lib/noop.js',
      code: Buffer.from('window.benchLib={track(){},page(){},identify(){},group(){},alias(){}};'),
      sends: false,
      tag: () => `<script src="/lib/noop.js"></script><script>${ready}</script>`,
    },
  ];
}
