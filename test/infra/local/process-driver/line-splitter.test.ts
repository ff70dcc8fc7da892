import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_BYTES } from '../../../../infra/local/process-driver/line-splitter.ts';

function split(chunks: Array<string | Buffer>, maxBytes?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxBytes);
  for (const chunk of chunks) splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  splitter.flush();
  return lines;
}

describe('LineSplitter', () => {
  it('cuts at newlines, across chunks, and keeps the unfinished last line for the flush', () => {
    expect(split(['one\ntw', 'o\n\nthr', 'ee'])).toEqual(['one', 'two', '', 'three']);
  });

  it('reads a line ended by \\r\\n as the same line as one ended by \\n', () => {
    expect(split(['dos\r\nunix\n'])).toEqual(['dos', 'unix']);
  });

  it('joins a UTF-8 character torn between two reads', () => {
    // Prepare
    const text = Buffer.from('né\n');

    // Act
    const lines = split([text.subarray(0, 2), text.subarray(2)]);

    // Assess
    expect(lines).toEqual(['né']);
  });

  it('splits a line longer than 16 KiB, never inside a character', () => {
    // Prepare: 'é' is two bytes, so the first cut falls inside one unless it steps back
    const line = `a${'é'.repeat(MAX_LINE_BYTES)}`;

    // Act
    const pieces = split([`${line}\n`]);

    // Assess
    expect(pieces.join('')).toBe(line);
    expect(pieces.every((piece) => Buffer.byteLength(piece) <= MAX_LINE_BYTES)).toBe(true);
    expect(pieces.some((piece) => piece.includes('\uFFFD'))).toBe(false);
    expect(Buffer.byteLength(pieces[0] ?? '')).toBe(MAX_LINE_BYTES - 1);
  });

  it('splits a long line that arrives in many small chunks as it grows', () => {
    // Prepare
    const emitted: string[] = [];
    const splitter = new LineSplitter((line) => emitted.push(line), 10);

    // Act
    for (let i = 0; i < 25; i++) splitter.push(Buffer.from('x'));

    // Assess: two full pieces out already, the rest waits for its newline
    expect(emitted).toEqual(['x'.repeat(10), 'x'.repeat(10)]);
    splitter.flush();
    expect(emitted.at(-1)).toBe('x'.repeat(5));
  });
});
