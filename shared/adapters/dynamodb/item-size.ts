/**
 * How large DynamoDB counts an item, so that what would be refused is found before it is sent.
 *
 * DynamoDB refuses an item over 400 KB (1 KB = 1024 bytes) — "Constraints in Amazon DynamoDB",
 * Items: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html —
 * counting, per "DynamoDB item sizes and formats"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * each attribute's name in UTF-8 bytes, plus a string's UTF-8 bytes, a binary's raw bytes, a
 * number's one byte per two significant digits plus one, one byte for a boolean or null, and
 * for a list or map 3 bytes plus one per element plus the elements. Numbers are counted from
 * above (every digit significant), so an estimate never falls short of DynamoDB's count.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export const MAX_ITEM_BYTES = 400 * 1024;

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/[^0-9]/g, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + valueBytes(element), 0);
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + Math.ceil(n.length / 2) + 1, 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  return 0;
}

/** The item's size as DynamoDB counts it against the 400 KB limit. */
export function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
}
