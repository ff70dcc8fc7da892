import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { edgeSidecarFromEnv } from '../../../../shared/adapters/aws/services/ecs-service-platform.ts';
import { DEFAULT_EDGE_IMAGE, EDGE_SIDECAR_FILE } from '../../../../shared/adapters/aws/services/edge-sidecar.ts';

const root = mkdtempSync(join(tmpdir(), 'cassini-lambda-'));
writeFileSync(join(root, EDGE_SIDECAR_FILE), 'console.log("edge")');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ingress = {
  LISTENER_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/cassini/50dc6c495c0c9188/f2f7dc8efc522ab2',
  LOAD_BALANCER_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/cassini/50dc6c495c0c9188',
  PLATFORM_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com/',
  AWS_REGION: 'eu-west-1',
  LAMBDA_TASK_ROOT: root,
};

describe('edgeSidecarFromEnv', () => {
  it('reads the bundle beside the function and the load balancer it must trust', () => {
    // Act
    const settings = edgeSidecarFromEnv(ingress)!;

    // Assess
    expect(settings).toMatchObject({ image: DEFAULT_EDGE_IMAGE, region: 'eu-west-1', loadBalancerArn: ingress.LOAD_BALANCER_ARN, apiUrl: ingress.PLATFORM_URL });
    expect(gunzipSync(Buffer.from(settings.code, 'base64')).toString()).toBe('console.log("edge")');
    expect(edgeSidecarFromEnv({ ...ingress, EDGE_IMAGE: 'registry.example.com/node:22' })!.image).toBe('registry.example.com/node:22');
  });

  it('gives none without a load balancer (nothing can be routed), and refuses to run one without its signer', () => {
    expect(edgeSidecarFromEnv({ AWS_REGION: 'eu-west-1' })).toBeUndefined();
    expect(() => edgeSidecarFromEnv({ ...ingress, LOAD_BALANCER_ARN: '' })).toThrow('LOAD_BALANCER_ARN');
  });
});
