import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { databaseNames, databaseOf } from '../src/directory/databases';

// Setup files run before each test file; applyD1Migrations only applies what is not applied yet.
// Every D1 binding of workspace data gets every migration, as in `npm start` and the deploy steps.
for (const name of databaseNames(env)) await applyD1Migrations(databaseOf(env, name), env.TEST_MIGRATIONS ?? []);
