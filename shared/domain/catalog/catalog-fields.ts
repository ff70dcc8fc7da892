/**
 * The input rules of catalog names and role ARNs, as zod schemas for the API's request bodies.
 * Apart from catalog-object.ts so that functions which only read the catalog (the reactor, the
 * reconciler) do not load zod.
 */
import * as z from 'zod';
import { WORKLOAD_ROLE_PATH } from './catalog-object.ts';

/**
 * A catalog name: letters, digits, `_` and `-`, starting with a letter or digit, at most 128.
 * No `/`, `.` or `:`, so a name is safe as a file name and an image name never reads as a
 * registry host or a tag.
 */
export const catalogName = z.lazy(() => z
  .string()
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be letters, digits, "_" and "-", starting with a letter or digit'));

/**
 * An IAM role ARN under WORKLOAD_ROLE_PATH: `arn:<partition>:iam::<12-digit account>:role/cassini-workloads/<optional path/><name>`,
 * with the characters IAM allows in role paths and names.
 */
const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
export const roleArn = z.lazy(() => z
  .string()
  .max(2048)
  .regex(ROLE_ARN, 'must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<path/><name>')
  // One complaint at a time: the path is checked on what is an IAM role ARN.
  .refine((arn) => !ROLE_ARN.test(arn) || arn.slice(arn.indexOf(':role/') + ':role'.length).startsWith(WORKLOAD_ROLE_PATH), {
    message: `must be a role under the IAM path ${WORKLOAD_ROLE_PATH} (arn:aws:iam::<account>:role${WORKLOAD_ROLE_PATH}<name>): tasks may assume only those roles`,
  }));
