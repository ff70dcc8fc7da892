/** The few API calls the data-plane bench makes to set itself up and to time dispatches. */
import { performance } from 'node:perf_hooks';

export interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read field by field by the bench
  json: any;
  /** From sending the request to the whole body read. */
  ms: number;
}

export function apiClient(baseUrl: string, token: string) {
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const since = performance.now();
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined, ms: performance.now() - since };
  }

  /** Applies a recipe and returns the resource's id (and its URL, for a deployment). */
  async function apply(type: 'job' | 'deployment', spec: Record<string, unknown>): Promise<{ id: string; url?: string }> {
    const reply = await call('PUT', '/api/recipes', { type, spec });
    if (reply.status !== 201) throw new Error(`applying ${type} ${String(spec.name)} answered ${reply.status}: ${JSON.stringify(reply.json)}`);
    return { id: reply.json.state.id as string, url: reply.json.state.url as string | undefined };
  }

  return { call, apply };
}

export type ApiClient = ReturnType<typeof apiClient>;
