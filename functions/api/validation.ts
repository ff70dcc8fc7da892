/** Validates a query, body or header with a zod schema, failing with the fields' paths. */
import type * as z from 'zod';
import { ValidationError } from '../../shared/domain/errors.ts';
import { fieldIssues } from '../../shared/domain/recipe/issues.ts';

export function validate<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'header'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = fieldIssues(result.error, where === 'body' ? '' : where, value).map((d) => ({ ...d, path: d.path || where }));
  throw new ValidationError(`The request ${where} is invalid; fix these fields: ${details.map((d) => d.path).join(', ')}.`, details);
}
