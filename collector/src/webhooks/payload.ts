import type { DueDelivery } from '../store/deliveries';

/** The JSON body of a segment webhook. `id` is the change: equal across destinations and retries. */
export interface SegmentWebhook {
  id: string;
  type: 'segment.entered' | 'segment.exited';
  occurredAt: string;
  workspaceId: string;
  segment: { key: string; name: string | null };
  profile: { id: string; identities: { type: string; value: string }[]; traits: Record<string, unknown> };
  /** Exits only: no_longer_matches | merged | profile_gone | segment_deleted. */
  reason?: string;
  /** Exits by merge: the profile that absorbed this one (it is evaluated, and may enter, on its own). */
  mergedInto?: string;
}

/**
 * The webhook body for one delivery; receivers dedupe on `id` because a delivery whose
 * answer was lost is sent again.
 *
 * @example
 * webhookPayload(delivery).type // 'segment.entered'
 */
export function webhookPayload(d: DueDelivery): SegmentWebhook {
  return {
    id: `chg_${d.changeId}`,
    type: d.kind === 'entered' ? 'segment.entered' : 'segment.exited',
    occurredAt: new Date(d.occurredAt).toISOString(),
    workspaceId: d.workspaceId,
    segment: { key: d.segmentKey, name: d.segmentName },
    profile: { id: d.profileId, identities: d.identities, traits: d.traits },
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.mergedInto ? { mergedInto: d.mergedInto } : {}),
  };
}
