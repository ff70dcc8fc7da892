/**
 * Tenant isolation on AWS, read from the synthesized template: what stops a member's task from
 * reaching another member's work through the network, the file system, IAM or the instance
 * metadata service. Each rule of AWS this relies on is cited where it is tested.
 */
import { describe, expect, it } from 'vitest';
import { BLOCK_TASK_IMDS_SETTING } from '../../../infra/aws/constructs/task-metadata-lockdown.ts';
import { synthCassini } from './support/synth.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = Record<string, any>;

/** A CloudFormation string expression as text, tokens written as `${...}`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(text).join('');
  if (value && typeof value === 'object') {
    const [fn, arg] = Object.entries(value as Props)[0]!;
    if (fn === 'Fn::Join') return (arg[1] as unknown[]).map(text).join(arg[0] as string);
    if (fn === 'Fn::Base64') return text(arg);
    return `\${${JSON.stringify(value)}}`;
  }
  return String(value);
}

describe('isolation on AWS', () => {
  const { json } = synthCassini({ gpuInstanceTypes: 'g6.xlarge,g5.xlarge' });
  const resources = Object.entries(json.Resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type).map(([id, r]) => ({ id, props: (r.Properties ?? {}) as Props }));

  describe('instance metadata', () => {
    const templates = ofType('AWS::EC2::LaunchTemplate');

    it('launches GPU instances whose awsvpc tasks have no route to the instance metadata service', () => {
      // "Amazon ECS container agent configuration" (docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-agent-config.html):
      // ECS_AWSVPC_BLOCK_IMDS=true blocks IMDS access for tasks that use the awsvpc network mode,
      // which every platform task definition uses (ecs-task-definitions.ts). The agent reads
      // /etc/ecs/ecs.config at start, so the line must be in the user data the instance boots with.
      expect(templates.length).toBeGreaterThan(0);
      for (const { id, props } of templates) {
        const userData = text(props.LaunchTemplateData.UserData);
        expect(userData, id).toContain(`echo ${BLOCK_TASK_IMDS_SETTING} >> /etc/ecs/ecs.config`);
        expect(userData, id).toMatch(/echo ECS_CLUSTER=.* >> \/etc\/ecs\/ecs\.config/);
      }
    });

    it('requires IMDSv2 tokens, whose answers go one hop only, on every launch template', () => {
      // "Configure the Instance Metadata Service options" (EC2 User Guide): with HttpTokens
      // `required` IMDSv1 calls get no credentials; "the hop limit ... 1" keeps the PUT response
      // for the token from reaching a container behind a network bridge.
      for (const { id, props } of templates) {
        const options = props.LaunchTemplateData.MetadataOptions as Props;
        expect(options, id).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
        expect(options.HttpEndpoint ?? 'enabled', id).toBe('enabled');
      }
    });
  });
});
