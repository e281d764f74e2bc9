import { describe, expect, it } from '@jest/globals';
import { entityColumns } from '../database/row-mapper.js';
import { User } from './user.entity.js';
import { toUser } from './users.repository.js';

describe('toUser', () => {
  it('maps every column of a users row to its User property', () => {
    // A distinct value per column: a column missed or read from the wrong name shows as a difference.
    const columns = [...entityColumns(User)];
    const row = Object.fromEntries(columns.map(([, column]) => [column, `value of ${column}`]));
    const user = toUser(row) as unknown as Record<string, unknown>;
    expect(user).toBeInstanceOf(User);
    for (const [property, column] of columns) expect(user[property]).toBe(`value of ${column}`);
  });
});
