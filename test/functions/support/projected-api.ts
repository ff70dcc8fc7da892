/**
 * The API handler over an embedded DynamoDB projected at once (projected-platform.ts), with the
 * admin bootstrapped and ann (group ml) and bob (group data) created, each with a token.
 */
import type { EmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';
import type { ApiHandler } from '../../../infra/local/http-adapter.ts';
import { createApi } from '../../../functions/api/create-api.ts';
import type { ApiServices } from '../../../functions/api/api-types.ts';
import { admin, ann, bob, createUsers } from '../../app/support/catalog-platform.ts';
import { projectedPlatform, type ProjectedPlatformOptions } from '../../app/support/projected-platform.ts';

export async function projectedApi(dynamo: EmbeddedDynamo, adminToken: string, extra: Partial<ApiServices> = {}, platform: ProjectedPlatformOptions = {}) {
  const { services } = projectedPlatform(dynamo, platform);
  await services.identity.bootstrapAdmin(adminToken);
  await createUsers(services);
  const tokens: Record<string, string> = { admin: adminToken };
  for (const user of [ann, bob]) tokens[user.username] = (await services.identity.issueToken(admin, { kind: 'directory' }, user.username)).token;
  const handler = createApi({ services: { ...services, version: '0.0.0-test', ...extra } }) as unknown as ApiHandler;
  return { services, handler, tokens };
}
