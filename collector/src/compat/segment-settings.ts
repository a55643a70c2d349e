/**
 * What Segment's libraries fetch at start-up from `{cdn}/v1/projects/{writeKey}/settings`, answered by
 * the collector so they run with no Segment CDN. The one setting that matters is
 * `integrations['Segment.io'].apiHost`: analytics.js (analytics-next), analytics-swift,
 * analytics-kotlin and analytics-react-native all send their events to the apiHost the settings
 * name, so pointing only the settings host (cdnURL / cdnHost) at the collector is enough.
 * Everything else turns features off that would call Segment: remote metrics (sampleRate 0),
 * device-mode destinations, remote plugins and middleware.
 */
export interface SegmentSettingsInput {
  writeKey: string;
  /** The collector's URL as the library reached it, e.g. `https://cdp.example.com`. */
  origin: URL;
}

/**
 * @example
 * segmentSettings({ writeKey: 'wk_1', origin: new URL('https://cdp.example.com') }).integrations['Segment.io']
 * // -> { apiKey: 'wk_1', apiHost: 'cdp.example.com/v1', protocol: 'https', ... }
 */
export function segmentSettings({ writeKey, origin }: SegmentSettingsInput) {
  return {
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        // Host and path without a scheme: the libraries put `protocol://` (analytics.js) or `https://` (mobile) in front.
        apiHost: `${origin.host}/v1`,
        protocol: origin.protocol.replace(/:$/, ''),
        unbundledIntegrations: [],
        addBundledMetadata: true,
        maybeBundledConfigIds: {},
      },
    },
    plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
    edgeFunction: {},
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    metrics: { sampleRate: 0 },
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
  };
}
