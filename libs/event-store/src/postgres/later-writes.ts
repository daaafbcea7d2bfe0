import { quoteLiteral } from './rows.js';

/**
 * Writes a projection leaves to the end of its subscription round. They go to the database with
 * the round's checkpoints and COMMIT, in one round trip, instead of one round trip each. Their
 * results are never read, so only statements whose outcome the projection does not need can wait.
 * If one fails the whole round rolls back, as when `apply` throws.
 */
export interface LaterWrites {
  /** `text` takes its values as $1, $2…, which must appear nowhere else (not in a string literal). */
  add(text: string, values: readonly unknown[]): void;
}

/** One value written into a statement, as a literal of the type its placeholder's cast names. */
const literal = (value: unknown): string => {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a number a statement can hold: ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return quoteLiteral(value);
  if (Array.isArray(value)) {
    // PostgreSQL's array text form: every element quoted, so any text survives the cast.
    const elements = value.map((e) =>
      e === null || e === undefined ? 'NULL' : `"${String(e).replace(/["\\]/g, (c) => `\\${c}`)}"`,
    );
    return quoteLiteral(`{${elements.join(',')}}`);
  }
  return quoteLiteral(JSON.stringify(value));
};

/** Writes as they pile up in one round, turned into one multi-statement text at its end. */
export class RoundWrites implements LaterWrites {
  private readonly statements: string[] = [];

  add(text: string, values: readonly unknown[]): void {
    const statement = text.replace(/\$(\d+)/g, (_, n: string) => {
      const index = Number(n) - 1;
      if (index >= values.length)
        throw new Error(`statement refers to $${n} but has ${values.length} values`);
      return literal(values[index]);
    });
    this.statements.push(`${statement};\n`);
  }

  /** The statements in the order they were added, each ended; empty when there are none. */
  sql(): string {
    return this.statements.join('');
  }
}
