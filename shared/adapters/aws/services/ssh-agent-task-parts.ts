/**
 * What a workspace's task definition adds for SSH on AWS (its plan has `shellAccess`, from
 * `start_ssh`, and the stack has the SSH gateway): the SSH agent (infra/aws/ssh-agent/) running
 * in the MAIN container, beside the workspace's own command, whatever the image.
 *
 * Delivery without building an image: the agent's bundle (~440 KB) cannot travel in the
 * definition, which holds 64 KiB in all (the edge sidecar already takes up to 24 KiB), so
 * - an init container (SSH_AGENT_INSTALL_CONTAINER, essential false) from a pinned public
 *   Debian-based Node.js image fetches the bundle from the immutable, content-addressed URL the
 *   stack publishes, checks its SHA-256 against the one this definition pins, and only then
 *   writes it, with a copy of its own `node` binary, into a task volume (an empty bind mount);
 * - the main container mounts that volume read-only at SSH_AGENT_DIR, starts once the init
 *   container has exited (COMPLETE, not SUCCESS: a failed install turns SSH off, never the
 *   workspace), and its script starts the agent in the background just before the workspace's
 *   own command — after `cd` to the working directory and the start script, so sessions get the
 *   environment that command gets — then unsets the agent's secret, so the command (and
 *   everything it starts) never holds it. The command stays the script's last: its exit status
 *   is the container's, as without SSH;
 * - ECS injects the workspace's agent secret (ssh-agent-contract.ts) as
 *   SSH_AGENT_SECRET_VARIABLE; the resource's execution role is granted it because the
 *   definition names it (resource-role-policies.ts), and nothing else of the prefix.
 *
 * The image must have glibc ≥ 2.28 and libstdc++ (what the Node.js binary of a Debian bookworm
 * image needs: every Debian/Ubuntu-based image, Saturn's included) and, for terminals,
 * util-linux's `script`.
 */
import type { ContainerDefinition, LogConfiguration, RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { SSH_AGENT_SECRET_VARIABLE, sshAgentSecretPath, WORKSPACE_SSH_PORT, type SshAgentWorkspace } from '../ssh/ssh-agent-contract.ts';
import { MAIN_CONTAINER } from './service-names.ts';

/** The init container that installs the agent. */
export const SSH_AGENT_INSTALL_CONTAINER = 'ssh-agent-install';
/** The task volume the agent is installed into. */
export const SSH_AGENT_VOLUME = 'cassini-ssh';
/** Where the main container sees the installed agent (read-only). */
export const SSH_AGENT_DIR = '/opt/cassini-ssh';
/** The bundle's file name, in the volume and in the published path (`/ssh-agent/<sha256>.cjs`). */
export const SSH_AGENT_FILE = 'ssh-agent.cjs';
/** A pinned public Debian-based (glibc) Node.js image, whose `node` runs in any glibc ≥ 2.28 image; `-c sshAgentImage=` replaces it. */
export const DEFAULT_SSH_AGENT_IMAGE = 'public.ecr.aws/docker/library/node:22.12.0-bookworm-slim';

/** The install script's inputs (variables of the init container, not of the main one). */
export const SSH_AGENT_INSTALL_VARIABLES = { url: 'CASSINI_SSH_AGENT_URL', sha256: 'CASSINI_SSH_AGENT_SHA256', dir: 'CASSINI_SSH_AGENT_DIR' } as const;

export interface SshAgentSettings {
  /** The init container's image (DEFAULT_SSH_AGENT_IMAGE). */
  image: string;
  /** Where the stack published the bundle: immutable, named by its SHA-256. */
  bundleUrl: string;
  /** The bundle's SHA-256, hex: what the init container accepts, and nothing else. */
  bundleSha256: string;
  /** `arn:<partition>:secretsmanager:<region>:<account>:secret:<prefix>`: the agent secret is named by partial ARN under it. */
  secretArnPrefix: string;
}

/**
 * The init container's program (`node -e`): fetch, verify, then write. Nothing is written
 * unless the SHA-256 matches, and files appear whole (written beside, then renamed), so the
 * main container never starts a bundle other than the pinned one, nor half of it.
 */
export const SSH_AGENT_INSTALL_SCRIPT = [
  "const{createHash:h}=require('crypto'),fs=require('fs'),p=require('path');",
  `const e=process.env,url=e.${SSH_AGENT_INSTALL_VARIABLES.url},want=e.${SSH_AGENT_INSTALL_VARIABLES.sha256},dir=e.${SSH_AGENT_INSTALL_VARIABLES.dir};`,
  'const put=(name,data,mode)=>{const t=p.join(dir,name+\'.part\');fs.writeFileSync(t,data,{mode});fs.renameSync(t,p.join(dir,name))};',
  '(async()=>{let body;for(let i=1;;i++){try{const r=await fetch(url,{signal:AbortSignal.timeout(30000)});if(!r.ok)throw new Error(\'HTTP \'+r.status);body=Buffer.from(await r.arrayBuffer());break}catch(x){if(i>=3)throw new Error(\'could not fetch \'+url+\': \'+x.message);await new Promise(r=>setTimeout(r,2000*i))}}',
  "const got=h('sha256').update(body).digest('hex');",
  "if(got!==want)throw new Error('the SSH agent at '+url+' has SHA-256 '+got+', not the '+want+' this task pins: not installed');",
  `put('${SSH_AGENT_FILE}',body,0o444);put('node',fs.readFileSync(process.execPath),0o555);console.log('cassini: SSH agent '+want+' installed')})()`,
  ".catch(x=>{console.error('cassini: '+x.message+' (SSH into this workspace is off; the workspace runs)');process.exit(1)})",
].join('');

/** The script lines that start the agent (installed in `dir`) beside the workspace's command, which follows them. */
export function sshAgentStartLines(dir = SSH_AGENT_DIR): string[] {
  const node = `${dir}/node`;
  const bundle = `${dir}/${SSH_AGENT_FILE}`;
  return [
    `if [ -x ${node} ] && [ -f ${bundle} ]; then ${node} ${bundle} & else echo "cassini: the SSH agent is not installed (see the ${SSH_AGENT_INSTALL_CONTAINER} container's log): no SSH into this workspace" >&2; fi`,
    `unset ${SSH_AGENT_SECRET_VARIABLE}`,
  ];
}

/** The init container that fetches, verifies and installs the agent. */
export function sshAgentInstallContainer(settings: SshAgentSettings, logConfiguration: LogConfiguration): ContainerDefinition {
  return {
    name: SSH_AGENT_INSTALL_CONTAINER,
    image: settings.image,
    // An init container exits; COMPLETE can't be set on an essential container.
    essential: false,
    entryPoint: ['node', '-e', SSH_AGENT_INSTALL_SCRIPT],
    environment: [
      { name: SSH_AGENT_INSTALL_VARIABLES.url, value: settings.bundleUrl },
      { name: SSH_AGENT_INSTALL_VARIABLES.sha256, value: settings.bundleSha256 },
      { name: SSH_AGENT_INSTALL_VARIABLES.dir, value: SSH_AGENT_DIR },
    ],
    mountPoints: [{ sourceVolume: SSH_AGENT_VOLUME, containerPath: SSH_AGENT_DIR, readOnly: false }],
    logConfiguration,
  };
}

/**
 * `input` (a workspace revision's definition, its script already holding sshAgentStartLines)
 * with the agent's parts: the init container, the volume, and on the main container the
 * read-only mount, the dependency, the secret and the agent's port.
 */
export function withSshAgent(input: RegisterTaskDefinitionCommandInput, settings: SshAgentSettings, workspace: SshAgentWorkspace): RegisterTaskDefinitionCommandInput {
  const containers = input.containerDefinitions ?? [];
  const main = containers.find((c) => c.name === MAIN_CONTAINER);
  if (!main) throw new Error('a task definition without its main container cannot carry the SSH agent');
  const install = sshAgentInstallContainer(settings, main.logConfiguration!);
  return {
    ...input,
    containerDefinitions: [
      install,
      ...containers.map((c) =>
        c !== main
          ? c
          : {
              ...c,
              // The secret is ECS's to set: a variable of the same name from the spec would hide or replace it.
              ...(c.environment ? { environment: c.environment.filter((variable) => variable.name !== SSH_AGENT_SECRET_VARIABLE) } : {}),
              mountPoints: [...(c.mountPoints ?? []), { sourceVolume: SSH_AGENT_VOLUME, containerPath: SSH_AGENT_DIR, readOnly: true }],
              dependsOn: [...(c.dependsOn ?? []), { containerName: SSH_AGENT_INSTALL_CONTAINER, condition: 'COMPLETE' as const }],
              secrets: [...(c.secrets ?? []), { name: SSH_AGENT_SECRET_VARIABLE, valueFrom: `${settings.secretArnPrefix}${sshAgentSecretPath(workspace)}` }],
              portMappings: [...(c.portMappings ?? []), { containerPort: WORKSPACE_SSH_PORT, protocol: 'tcp' as const }],
            },
      ),
    ],
    volumes: [...(input.volumes ?? []), { name: SSH_AGENT_VOLUME }],
  };
}
