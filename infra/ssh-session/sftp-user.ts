/** The variable that tells the SFTP worker which user to become once its code is loaded (JSON: uid, gid, groups). */
export const SFTP_USER_VARIABLE = 'CASSINI_SFTP_USER';
