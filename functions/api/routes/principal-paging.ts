/** `?page_size=&next_key=` of the user and owner listings: `next_key` is the last name of the page before. */
import * as z from 'zod';
import { principalName } from '../../../shared/domain/recipe/fields.ts';

export const principalPageQuery = {
  page_size: z.coerce.number().int().min(1).max(1000).optional().describe('default 100'),
  next_key: principalName.optional().describe('the next_key of the page before'),
};

export const DEFAULT_PRINCIPAL_PAGE = 100;
