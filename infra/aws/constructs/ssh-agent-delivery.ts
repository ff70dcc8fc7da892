/**
 * How the SSH agent reaches workspace tasks on AWS (shared/adapters/aws/services/ssh-agent-task-parts.ts),
 * on the stack's side, when it has the SSH gateway:
 * - the agent is bundled at synth (bundleSshAgent, esbuild, no Docker) and published with the
 *   web console's files at `/ssh-agent/<sha256>.cjs` on its CloudFront distribution: public
 *   (the agent is no secret: it holds no key, and admits only who holds a workspace's own
 *   secret), HTTPS, and named by its content, so a published URL always serves the same bytes
 *   and a new agent is a new URL, never a cached old one; a task pins the SHA-256 and its init
 *   container refuses anything else, so neither the bucket nor the network can swap the code;
 * - the reactor (which applies workspaces' services) learns the URL and SHA-256
 *   (SSH_AGENT_URL, SSH_AGENT_SHA256), and may create, tag and delete the workspaces' agent
 *   secrets, `<prefix><owner>/_ssh-<resource id>`, and no other secret.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { bundleSshAgent } from '../function-bundle.ts';
import { PLATFORM_SECRET_PREFIX } from '../config.ts';
import { acknowledgeGrantedWildcard } from '../nag.ts';
import { SSH_AGENT_SECRET_PREFIX } from '../../../shared/adapters/aws/ssh/ssh-agent-contract.ts';

/** The folder of the console's distribution the agent is published under. */
export const SSH_AGENT_PUBLISHED_FOLDER = 'ssh-agent';

export interface PublishedSshAgent {
  /** The files to add to the console's deployment: `ssh-agent/<sha256>.cjs`. */
  source: s3deploy.ISource;
  sha256: string;
  /** The path under the console's address, without a leading `/`. */
  path: string;
}

/** Bundles the agent and stages it under its content's name, once per content (synth runs it again and again). */
export function publishedSshAgent(): PublishedSshAgent {
  const scratch = mkdtempSync(join(tmpdir(), 'cassini-ssh-agent-build-'));
  try {
    const bundle = bundleSshAgent(scratch);
    const sha256 = createHash('sha256').update(readFileSync(bundle)).digest('hex');
    const staged = join(tmpdir(), `cassini-ssh-agent-${sha256}`);
    const path = `${SSH_AGENT_PUBLISHED_FOLDER}/${sha256}.cjs`;
    if (!existsSync(join(staged, path))) {
      mkdirSync(join(staged, SSH_AGENT_PUBLISHED_FOLDER), { recursive: true });
      copyFileSync(bundle, join(staged, path));
    }
    return { source: s3deploy.Source.asset(staged), sha256, path };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** What the reactor needs to give workspaces the agent: where it is, and what it must hash to. */
export function sshAgentEnvironment(agent: PublishedSshAgent, consoleUrl: string): Record<string, string> {
  return { SSH_AGENT_URL: `${consoleUrl}${agent.path}`, SSH_AGENT_SHA256: agent.sha256 };
}

/** The workspaces' agent secrets: `cassini/<owner>/_ssh-<resource id>` (Secrets Manager appends a random suffix to every ARN). */
export function sshAgentSecretsArn(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${PLATFORM_SECRET_PREFIX}*/${SSH_AGENT_SECRET_PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** Lets `grantee` make and delete workspaces' agent secrets (shared/adapters/aws/ssh/ssh-agent-secrets.ts), and read none. */
export function grantKeepSshAgentSecrets(grantee: iam.IGrantable & Construct): void {
  const secrets = sshAgentSecretsArn(grantee);
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'secretsmanager:DeleteSecret'], resources: [secrets] }));
  acknowledgeGrantedWildcard(grantee, secrets, `Each SSH-enabled workspace's agent secret is created at run time in its owner's folder (${PLATFORM_SECRET_PREFIX}<owner>/${SSH_AGENT_SECRET_PREFIX}<resource id>): creating, tagging and deleting are allowed on those names only.`);
}

