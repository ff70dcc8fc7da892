/** The local SFTP worker's entry point (started by session-processes.ts through tsx): SFTP on stdio. */
import { serveSftpOverStdio } from '../../ssh-session/sftp-server.ts';

serveSftpOverStdio();
