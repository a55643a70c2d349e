// The unmodified @segment/analytics-next, as a site bundles it from npm.
import { AnalyticsBrowser } from '@segment/analytics-next';

(window as unknown as { AnalyticsBrowser: typeof AnalyticsBrowser }).AnalyticsBrowser = AnalyticsBrowser;
