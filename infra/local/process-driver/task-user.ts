/**
 * The unprivileged identity a local task runs as when the control plane runs as root: a uid of
 * its own (its primary group has the same number), plus one supplementary group per shared
 * folder it attaches. Every process of the task — its shell, git, package installs, the files
 * placed in its home — runs through `setpriv` (util-linux, on every Debian) as this user, with
 * no capabilities and `no_new_privs`, so a setuid program cannot give root back.
 */
export interface TaskUser {
  uid: number;
  gid: number;
  /** Supplementary groups: the groups of the shared folders the task attaches. */
  groups: number[];
}

export interface Command {
  file: string;
  args: string[];
}

/** `file args…` run as `user` through `setpriv` at `setprivPath`. Pure. */
export function asTaskUser(setprivPath: string, user: TaskUser, command: Command): Command {
  const groups = user.groups.length === 0 ? ['--clear-groups'] : ['--groups', user.groups.join(',')];
  return {
    file: setprivPath,
    args: [
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      ...groups,
      '--no-new-privs',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
      command.file,
      ...command.args,
    ],
  };
}
