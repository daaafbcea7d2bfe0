import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { quoteLiteral } from './rows.js';

describe('quoteLiteral', () => {
  it("writes exactly what pg's escapeLiteral writes", () => {
    const texts = [
      '',
      'plain',
      "it's",
      "''",
      'back\\slash',
      "both ' and \\ and \\'",
      '\\',
      "'",
      'ünïcödé ✓ 𝄞',
      'line\nbreak\ttab',
      JSON.stringify({ summary: "Disk 'full' on C:\\", details: { path: 'a\\b', quote: '"' } }),
    ];
    for (const text of texts) assert.equal(quoteLiteral(text), pg.escapeLiteral(text), text);
  });
});
