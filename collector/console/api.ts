/**
 * The console's only way to the collector: the public read API with the secret key the user
 * pasted. Errors come back as ConsoleError carrying the API's words, for the page to show.
 */
import { getKey } from './session';

export class ConsoleError extends Error {
  override name = 'ConsoleError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | undefined | null>;

function url(path: string, query?: Query): string {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  return u.toString();
}

/** Turns an answer that is not 2xx into words a marketer can act on. */
async function failure(res: Response): Promise<ConsoleError> {
  let code = 'http_error';
  let message = `The collector answered ${res.status} ${res.statusText}`.trim();
  let field: string | undefined;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; field?: string } };
    if (body.error?.message) {
      code = body.error.code ?? code;
      message = body.error.message;
      field = body.error.field;
    }
  } catch {
    // Not our JSON envelope (a proxy page, say): the status line says enough.
  }
  if (res.status === 401) message = `Your key was not accepted: ${message}`;
  if (res.status === 403) message = `Your key is not allowed to do this: ${message}`;
  if (res.status === 429) message = `Too many requests; wait a moment and try again. (${message})`;
  return new ConsoleError(message, res.status, code, field);
}

/**
 * Sends an authenticated request; resolves with the raw Response when it is 2xx.
 * @example const res = await request('/v1/segments/vip/members', { query: { format: 'csv' } });
 */
export async function request(
  path: string,
  init: { method?: string; json?: unknown; query?: Query; signal?: AbortSignal; key?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${init.key ?? getKey() ?? ''}` };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url(path, init.query), {
      method: init.method ?? 'GET',
      headers,
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
      signal: init.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ConsoleError('Cannot reach the collector. Check your connection and that the collector is running.', 0, 'network');
  }
  if (!res.ok) throw await failure(res);
  return res;
}

/**
 * Same as `request`, parsed as JSON.
 * @example const profile = await api<Profile>(`/v1/profiles/${encodeURIComponent('email:ana@example.com')}`);
 */
export async function api<T>(path: string, init: Parameters<typeof request>[1] = {}): Promise<T> {
  const res = await request(path, init);
  return (res.status === 204 ? null : await res.json()) as T;
}

/** Encodes a profile reference (`email:ana@example.com`) as one path segment. */
export const refPath = (ref: string) => encodeURIComponent(ref);
