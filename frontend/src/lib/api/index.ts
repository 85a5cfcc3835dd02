// A thin fetch wrapper for /api/v1: JSON in, JSON out, and every failure as an
// ApiError carrying the server's {"error":{code,message,details}} so the page
// can show it to the person in their language.

export interface ErrorDetail {
  line?: number;
  message: string;
  /** The message in Danish, where the server writes one (charter problems). */
  message_da?: string;
  [k: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  body?: unknown;
  /** Send the body as is with this content type (e.g. text/markdown) instead of JSON. */
  contentType?: string;
  signal?: AbortSignal;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    if (opts.contentType) {
      headers['Content-Type'] = opts.contentType;
      body = opts.body as BodyInit;
    } else {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', signal: opts.signal });
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'network error');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; details?: ErrorDetail[] } })?.error;
    const ra = Number(res.headers.get('Retry-After'));
    throw new ApiError(
      res.status,
      err?.code ?? `http_${res.status}`,
      err?.message ?? res.statusText ?? 'error',
      Array.isArray(err?.details) ? err.details : [],
      Number.isFinite(ra) && ra > 0 ? ra : undefined,
    );
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, { signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  del: <T = void>(path: string) => request<T>('DELETE', path),
  postText: <T>(path: string, text: string, contentType: string) =>
    request<T>('POST', path, { body: text, contentType }),
  /** GET a text body (e.g. a charter's Markdown source). */
  getText: async (path: string): Promise<string> => {
    let res: Response;
    try {
      res = await fetch(path, { credentials: 'same-origin' });
    } catch {
      throw new ApiError(0, 'network', 'network error');
    }
    if (!res.ok) throw new ApiError(res.status, `http_${res.status}`, res.statusText || 'error');
    return res.text();
  },
};

export * from './types';
