/**
 * A `direct-tcpip` channel (`ssh -L`) joined to a TCP connection, once the server has decided the
 * target is allowed: the channel is accepted only when the connection is made, so a refused port
 * shows as a failed forward in the client, not as a channel that closes at once.
 */
import { connect } from 'node:net';
import type { AcceptConnection, RejectConnection, ServerChannel } from 'ssh2';

export function forwardTcp(accept: AcceptConnection<ServerChannel>, reject: RejectConnection, host: string, port: number): void {
  const socket = connect({ host, port });
  socket.once('connect', () => {
    const channel = accept();
    socket.pipe(channel).pipe(socket);
    channel.on('error', () => socket.destroy());
    socket.on('close', () => channel.close());
  });
  socket.once('error', () => reject());
}
