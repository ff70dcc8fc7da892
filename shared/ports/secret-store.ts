/**
 * Where secret values live: never in events, views, logs or responses. A value is addressed
 * by its secret's owner and name. Writers (the API) and readers (whatever realizes a task's
 * attachments) are separate ports, so a runtime that only writes values can be given no way
 * to read them back (on AWS: no secretsmanager:GetSecretValue for the API function).
 */
export interface SecretRef {
  /** The user or group owning the secret. */
  owner: string;
  name: string;
}

export interface SecretWriter {
  /** Creates or replaces the value. */
  put(ref: SecretRef, value: string): Promise<void>;
  /** Removes the value; removing one that is not there is not an error. */
  delete(ref: SecretRef): Promise<void>;
}

export interface SecretReader {
  /** The value, or undefined when there is none. Only task realization calls this. */
  get(ref: SecretRef): Promise<string | undefined>;
}

export interface SecretStore extends SecretWriter, SecretReader {}
