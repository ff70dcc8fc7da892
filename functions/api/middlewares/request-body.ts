/**
 * Request bodies: at most 256 KiB, JSON (or YAML on routes that take recipes), parsed once.
 * A body that is not JSON is `400 invalid_json`; another content type is `415`.
 *
 * The bytes must be UTF-8 (RFC 8259 §8.1 requires it of JSON, YAML 1.2 reads it): a body that
 * is not is refused rather than decoded with U+FFFD in place of what could not be read, which
 * would silently store something other than what was sent, a secret's value included. The
 * limit holds for the parsed document too, YAML aliases expanded (parsed-body-check.ts).
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { ApiEvent, ApiResult } from '../api-types.ts';
import { HttpError } from './error-contract.ts';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { yamlModule } from '../yaml-module.ts';
import { parsedBodyProblem } from './parsed-body-check.ts';

export const MAX_BODY_BYTES = 256 * 1024;
/** No contract shape nests nearly this deep; deeper bodies are refused before anything walks them. */
export const MAX_BODY_DEPTH = 64;

/** The 413 for a body over `maxBytes`, in the words every layer that refuses one uses. */
export function tooLargeMessage(maxBytes: number): string {
  return `The request body is larger than ${maxBytes / 1024} KiB; send a smaller one.`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function textOf(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new HttpError('invalid_json', 'The request body is not valid UTF-8 text; send it encoded as UTF-8.');
  }
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
      throw new HttpError('payload_too_large', tooLargeMessage(maxBytes));
    }
  };
  return { before: bodySizeLimitBefore };
}

/** Parses JSON, or YAML on routes that take it, into `event.parsedBody`. */
export function bodyParser(options: { maxBytes?: number } = {}): MiddlewareObj<ApiEvent, ApiResult> {
  const limits = { maxBytes: options.maxBytes ?? MAX_BODY_BYTES, maxDepth: MAX_BODY_DEPTH };

  const bodyParserBefore = async (request: Request<ApiEvent, ApiResult>): Promise<void> => {
    const bytes = bodyBytes(request.event);
    if (!bytes) return;
    const contentType = (request.event.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    const acceptsYaml = request.event.route?.definition.acceptsYaml === true;
    if (!JSON_TYPES.test(contentType) && !(acceptsYaml && YAML_TYPES.test(contentType))) {
      const allowed = acceptsYaml ? 'application/json or application/yaml' : 'application/json';
      throw new HttpError('unsupported_media_type', `Send the body as ${allowed}, not ${contentType}.`);
    }
    const text = textOf(bytes);
    if (JSON_TYPES.test(contentType)) {
      try {
        request.event.parsedBody = JSON.parse(text);
      } catch {
        throw new HttpError('invalid_json', 'The request body is not valid JSON.');
      }
    } else {
      const yaml = await yamlModule();
      try {
        request.event.parsedBody = yaml.parse(text, { maxAliasCount: 50 });
      } catch {
        throw new HttpError('invalid_json', 'The request body is not valid YAML.');
      }
    }
    const problem = parsedBodyProblem(request.event.parsedBody, limits);
    if (problem?.kind === 'too-deep') {
      throw new ValidationError(`The request body nests deeper than ${MAX_BODY_DEPTH} levels; no field of this API does.`, [{ path: 'body', message: `nests deeper than ${MAX_BODY_DEPTH} levels` }]);
    }
    if (problem?.kind === 'too-large') {
      throw new HttpError('payload_too_large', `The request body is larger than ${limits.maxBytes / 1024} KiB once read, YAML aliases counted at every use; send a smaller one.`);
    }
    if (problem?.kind === 'not-text') {
      throw new ValidationError(`The request body holds text that is not valid Unicode at ${problem.path}; send it as it is meant, encoded as UTF-8.`, [
        { path: problem.path, message: 'is not valid Unicode text (an unpaired surrogate escape such as "\\ud800")' },
      ]);
    }
  };

  return { before: bodyParserBefore };
}
