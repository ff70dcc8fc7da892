/**
 * Calls the API handler in process with the API Gateway HTTP API (v2) event a Lambda, or the
 * local HTTP adapter, would hand it: no sockets, so property tests can send thousands.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ApiHandler } from '../../../infra/local/http-adapter.ts';

export interface ApiRequest {
  method: string;
  /** The path, optionally with `?query`. */
  path: string;
  /** Header names in lower case, as the header normalizer leaves them. */
  headers?: Record<string, string>;
  body?: string;
  /** Claims of a JWT API Gateway's authorizer already verified (the Cognito path on AWS). */
  claims?: Record<string, unknown>;
  /** The context the Lambda authorizer (functions/authorizer) returned: empty for a platform token it passed on. */
  lambdaAuthorizer?: Record<string, string>;
  /** The client address API Gateway (or the local HTTP adapter) reports; 127.0.0.1 by default. */
  sourceIp?: string;
}

export interface ApiReply {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: unknown;
}

export function apiEvent(request: ApiRequest): APIGatewayProxyEventV2 {
  const url = new URL(request.path, 'http://localhost');
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: { ...request.headers },
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    requestContext: {
      accountId: 'test',
      apiId: 'test',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method: request.method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: request.sourceIp ?? '127.0.0.1', userAgent: 'vitest' },
      requestId: 'test-request',
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
      ...(request.claims ? { authorizer: { jwt: { claims: request.claims, scopes: [] } } } : {}),
      ...(request.lambdaAuthorizer ? { authorizer: { lambda: request.lambdaAuthorizer } } : {}),
    },
    body: request.body,
    isBase64Encoded: false,
  };
}

export async function callApi(handler: ApiHandler, request: ApiRequest): Promise<ApiReply> {
  const result = await handler(apiEvent(request), {});
  const text = result.body ?? '';
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  return { status: result.statusCode ?? 200, headers, text, json };
}

/** One call with a bearer token and an optional JSON body: its status, parsed body (`{}` when empty) and text. */
export async function callWithToken(
  handler: ApiHandler,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are read field by field against the contract
): Promise<{ status: number; body: any; text: string }> {
  const reply = await callApi(handler, {
    method,
    path,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: reply.status, body: reply.json ?? {}, text: reply.text };
}

/** A JSON request with a platform token, as Saturn's client sends it (`Authorization: token <t>`). */
export async function sendWithToken(handler: ApiHandler, token: string | undefined, method: string, path: string, body?: unknown): Promise<ApiReply> {
  const headers: Record<string, string> = { authorization: `token ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return callApi(handler, { method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}
