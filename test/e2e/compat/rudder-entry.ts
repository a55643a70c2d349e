// The unmodified @rudderstack/analytics-js, as a site bundles it from npm. The `bundled` build holds
// its plugins (the default one would load them from RudderStack's CDN).
import { RudderAnalytics } from '@rudderstack/analytics-js/bundled';

(window as unknown as { RudderAnalytics: typeof RudderAnalytics }).RudderAnalytics = RudderAnalytics;
