/**
 * A yes/no query parameter as Saturn's Python client writes it: `str(True)` is `True`, and
 * `urlencode` of a bool gives `True`/`False`; other clients send `true`/`false` or `1`/`0`.
 */
import * as z from 'zod';

export const queryFlag = z.lazy(() =>
  z
    .enum(['true', 'false', 'True', 'False', '1', '0'])
    .transform((value) => value === 'true' || value === 'True' || value === '1')
    .optional(),
);
