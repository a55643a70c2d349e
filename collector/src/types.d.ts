// ua-parser-js 1.x ships no types; only what enrich.ts reads is declared.
declare module 'ua-parser-js' {
  interface UAResult {
    browser: { name?: string; version?: string };
    os: { name?: string; version?: string };
    device: { type?: string; vendor?: string; model?: string };
  }
  export default class UAParser {
    constructor(ua?: string);
    getResult(): UAResult;
  }
}

// `env` from cloudflare:workers / cloudflare:test is typed with the collector's bindings.
type SatuEnv = import('./env').Env;
declare namespace Cloudflare {
  interface Env extends SatuEnv {}
}

// `exports` from cloudflare:workers (used by the tests to call the Worker) is typed from the main module.
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import('./index');
  }
}
