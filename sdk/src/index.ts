/** The npm module: `import { createSatu } from '@satu/sdk'`. */
export { createSatu, VERSION, type Satu, type SatuOptions } from './satu';
export type { User } from './identity';
export type { CategoryPreferences } from './consent';
export type { Batch, JsonObject, Message, TraitOps } from './contract';
