/** Shapes of the API answers the console reads (see the README's API sections). */

export interface Identity {
  type: string;
  value: string;
}
export interface Profile {
  id: string;
  identities: Identity[];
  traits: Record<string, unknown>;
  computed: Record<string, unknown>;
  consent: Record<string, { granted: boolean; updatedAt: string | null }>;
  accounts: { groupId: string; traits: Record<string, unknown> }[];
  createdAt?: string;
  /** From the latest predictive model; absent for people without orders or before a fit. */
  predictions?: import('../src/predictions/customer').Predictions;
  rfm?: { recency: number; frequency: number; monetary: number; score: string };
  computedTraits?: Record<string, unknown>;
}
/** The profile's predictions, as the collector computes them (type shared with the server). */
export type { Predictions } from '../src/predictions/customer';
export interface PredictionModel {
  asOf: string;
  timeUnit: 'day';
  customers: number;
  orderEvent: string;
  bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number };
  gammaGamma: { p: number; q: number; v: number } | null;
  fitMs: number;
  rfm?: { recency: number[]; frequency: number[]; monetary: number[] };
  weekly?: { weekStart: string; expected: number | null; actual: number }[];
}
export interface ComputedTrait {
  key: string;
  name: string;
  aggregate: string;
  event: string;
  property: string | null;
  windowDays: number | null;
  profiles: number;
  computedAt: string | null;
}
export interface TimelineEvent {
  messageId: string;
  type: string;
  event: string | null;
  name: string | null;
  timestamp: string;
  properties: Record<string, unknown> | null;
  traits: Record<string, unknown> | null;
  context: Record<string, unknown> | null;
}
export interface Page<T> {
  data: T[];
  cursor: { next: string | null; hasMore: boolean };
}
export interface Segment {
  key: string;
  name: string;
  condition: unknown;
  size: number;
  dependsOn: string[];
  timeRelative: boolean;
  createdAt: string;
  updatedAt: string;
  evaluatedAt: string | null;
}
export interface Member {
  profileId: string;
  enteredAt: string;
  identities: Identity[];
}
export interface Preview {
  size: number;
  sample: { id: string; traits: Record<string, unknown>; lastSeen: string | null; eventCount: number }[];
}
export type DestinationKind = 'segments' | 'webhook' | 'ga4' | 'mixpanel' | 'meta' | 'whatsapp';
export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'skipped';
export interface Destination {
  id: string;
  kind: DestinationKind;
  url: string;
  /** segments and webhook: the signing secret, masked. */
  secret?: string;
  /** segments and whatsapp. */
  segments?: string[] | null;
  events?: string[];
  /** Vendors: their settings, secrets masked. */
  config?: Record<string, string>;
  /** Event kinds. */
  filter?: { types: string[] | null; events: string[] | null };
  consentCategory: string | null;
  health?: Record<DeliveryStatus, number> & { lastAttemptAt: string | null };
  createdAt: string;
}
/** A delivery: of a segment change (`event`, `segmentKey`) or of a forwarded event (`messageId`). */
export interface Delivery {
  id: number;
  event?: string;
  segmentKey?: string;
  messageId?: string;
  profileId: string | null;
  status: DeliveryStatus;
  attempts: number;
  lastResponseStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
}
export interface EventInsights {
  days: number;
  total: number;
  daily: { date: string; count: number }[];
  byEvent: { event: string; total: number; daily: number[] }[];
  otherEvents: { names: number; total: number };
}
export interface ProfileInsights {
  total: number;
  identified: number;
  anonymous: number;
  identifiedShare: number;
  active: number;
  days: number;
}
export interface SegmentTrend {
  key: string;
  name: string;
  size: number;
  daily: { date: string; size: number | null }[];
}
export interface TailEvent {
  seq: number;
  messageId: string;
  type: string;
  event: string | null;
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  profileId: string | null;
  timestamp: string;
  receivedAt: string;
}
