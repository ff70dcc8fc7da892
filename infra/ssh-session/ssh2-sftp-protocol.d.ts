// ssh2's SFTP protocol class is internal (no types, not exported); it is the implementation its own server uses.
declare module 'ssh2/lib/protocol/SFTP.js' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the internal class is untyped
  const protocol: { SFTP: any };
  export default protocol;
}
