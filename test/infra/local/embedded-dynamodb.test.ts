/**
 * The embedded store is reached through the SDK in this process only: dynalite checks no
 * signature, so a port of its would be open to every process of the machine (another member's
 * task could read the token records or append an admin to the event store).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startEmbeddedDynamo } from '../../../infra/local/embedded-dynamodb.ts';

/** Inodes of the TCP and Unix sockets this process listens on (/proc/net/{tcp,tcp6,unix}, state LISTEN). */
function listeningSockets(): Set<string> {
  const own = new Set(
    readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return target.startsWith('socket:[') ? [target.slice(8, -1)] : [];
      } catch {
        return [];
      }
    }),
  );
  const listening = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/net/${table}`, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // st 0A is LISTEN; the inode is the tenth field.
      if (fields[3] === '0A' && own.has(fields[9]!)) listening.add(`${table} ${fields[9]}`);
    }
  }
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // State 01 with the listening flag (00010000) set; a path, when it has one, is the eighth field.
    if (fields[3] === '00010000' && own.has(fields[6]!)) listening.add(`unix ${fields[6]} ${fields[7] ?? '(no path)'}`);
  }
  return listening;
}

describe('the embedded DynamoDB', () => {
  it('answers this process through the SDK, and listens on no port or path another process could connect to', async () => {
    // Prepare
    const before = listeningSockets();

    // Act
    const dynamo = await startEmbeddedDynamo();
    try {
      await dynamo.client.send(new PutItemCommand({ TableName: dynamo.tables.views, Item: { pk: { S: 'probe' }, sk: { S: 'one' }, v: { N: '1' } } }));
      const { Item } = await dynamo.client.send(new GetItemCommand({ TableName: dynamo.tables.views, Key: { pk: { S: 'probe' }, sk: { S: 'one' } }, ConsistentRead: true }));
      const added = [...listeningSockets()].filter((socket) => !before.has(socket));

      // Assess: no TCP port; its one Unix socket (kept for dynalite's close) has no path left
      expect(Item?.v).toEqual({ N: '1' });
      expect(added.filter((socket) => !socket.startsWith('unix '))).toEqual([]);
      for (const socket of added) expect(socket).toMatch(/\(no path\)$|cassini-dynalite-[^ ]+\/closed$/);
      for (const socket of added) {
        const path = socket.split(' ')[2]!;
        if (path !== '(no path)') expect(() => readFileSync(path)).toThrow(/ENOENT/);
      }
    } finally {
      await dynamo.close();
    }
  });
});
