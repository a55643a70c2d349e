/**
 * What RudderStack's SDKs fetch at start-up from their control plane (`{configUrl}/sourceConfig/?...`
 * in the browser, `{controlPlaneUrl}/sourceConfig?p=android|ios&v=...` on mobile), answered by the
 * collector so they run with no RudderStack control plane. The shape is the smallest the SDKs accept:
 * the JavaScript SDK checks `source.id`, `source.config` (an object) and `source.destinations` (an
 * array) and stops when `source.enabled` is false. No destinations (Satu sends events on from the
 * server), and the SDK's own error and metrics reporting off (it would post to RudderStack).
 */
export interface RudderSourceInput {
  workspaceId: string;
  workspaceName: string;
}

/**
 * @example
 * rudderSourceConfig({ workspaceId: 'ws_1', workspaceName: 'Shop' }).source.enabled // -> true
 */
export function rudderSourceConfig({ workspaceId, workspaceName }: RudderSourceInput) {
  return {
    isHosted: false,
    source: {
      id: workspaceId,
      name: workspaceName,
      workspaceId,
      enabled: true,
      config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
      destinations: [],
    },
  };
}
