/**
 * Request bodies: at most 256 KiB, JSON (or YAML on routes that take recipes), parsed once.
 * A body that is not JSON is `400 invalid_json`; another content type is `415`.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { ApiEvent, ApiResult } from '../api-types.ts';
import { HttpError } from './error-contract.ts';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { yamlModule } from '../yaml-module.ts';

export const MAX_BODY_BYTES = 256 * 1024;
/** No contract shape nests nearly this deep; deeper bodies are refused before anything walks them. */
export const MAX_BODY_DEPTH = 64;

/** The nesting depth of a parsed body, measured without recursion. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_BODY_DEPTH) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const JSON_TYPES = /^application\/(?:[\w.+-]+\+)?json$/;
const YAML_TYPES = /^(?:application|text)\/(?:x-)?yaml$/;

function bodyBytes(event: ApiEvent): Buffer | undefined {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** Refuses bodies over the limit before anything else reads them. */
export function bodySizeLimit(options: { maxBytes?: number } = {}): MiddlewareObj<ApiEvent, ApiResult> {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;

  const bodySizeLimitBefore = async (request: Request<ApiEvent, ApiResult>): Promise<void> => {
    const bytes = bodyBytes(request.event);
    const declared = Number(request.event.headers['content-length'] ?? 0);
    if ((bytes && bytes.length > maxBytes) || declared > maxBytes) {
      throw new HttpError('payload_too_large', `The request body is larger than ${maxBytes / 1024} KiB; send a smaller one.`);
    }
  };
  return { before: bodySizeLimitBefore };
}

/** Parses JSON, or YAML on routes that take it, into `event.parsedBody`. */
export function bodyParser(): MiddlewareObj<ApiEvent, ApiResult> {
  const bodyParserBefore = async (request: Request<ApiEvent, ApiResult>): Promise<void> => {
    const bytes = bodyBytes(request.event);
    if (!bytes) return;
    const contentType = (request.event.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    const text = bytes.toString('utf8');
    const acceptsYaml = request.event.route?.definition.acceptsYaml === true;
    if (JSON_TYPES.test(contentType)) {
      try {
        request.event.parsedBody = JSON.parse(text);
      } catch {
        throw new HttpError('invalid_json', 'The request body is not valid JSON.');
      }
    } else if (acceptsYaml && YAML_TYPES.test(contentType)) {
      const yaml = await yamlModule();
      try {
        request.event.parsedBody = yaml.parse(text, { maxAliasCount: 50 });
      } catch {
        throw new HttpError('invalid_json', 'The request body is not valid YAML.');
      }
    } else {
      const allowed = acceptsYaml ? 'application/json or application/yaml' : 'application/json';
      throw new HttpError('unsupported_media_type', `Send the body as ${allowed}, not ${contentType}.`);
    }
    if (depthOf(request.event.parsedBody) > MAX_BODY_DEPTH) {
      throw new ValidationError(`The request body nests deeper than ${MAX_BODY_DEPTH} levels; no field of this API does.`, [{ path: 'body', message: `nests deeper than ${MAX_BODY_DEPTH} levels` }]);
    }
  };

  return { before: bodyParserBefore };
}
