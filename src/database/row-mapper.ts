import { getMetadataArgsStorage } from 'typeorm';

export type Row = Record<string, unknown>;

/** Each property of `entity` that is a column, with its column name (explicit `name` or the property). */
export function entityColumns(entity: abstract new () => object): Map<string, string> {
  return new Map(
    getMetadataArgsStorage()
      .filterColumns(entity)
      .map((column) => [column.propertyName, column.options.name ?? column.propertyName]),
  );
}

/**
 * Maps rows of plain SQL (`SELECT *`, `RETURNING ...`) to the given properties of `entity`, by
 * the entity's own column metadata: the mapper cannot drift from the entity, and a property that
 * is not a column fails when the mapper is made (at import), not on a request.
 */
export function rowMapper<T extends object, K extends keyof T & string>(
  entity: new () => T,
  properties: readonly K[],
): (row: Row) => Pick<T, K> {
  const columns = entityColumns(entity);
  const pairs = properties.map((property) => {
    const column = columns.get(property);
    if (column === undefined) throw new Error(`${entity.name}.${property} is not a column`);
    return [property, column] as const;
  });
  return (row) => {
    const mapped = {} as Pick<T, K>;
    for (const [property, column] of pairs) mapped[property] = row[column] as T[K];
    return mapped;
  };
}

/** Maps a row to an instance of `entity` with every column it has. */
export function entityMapper<T extends object>(entity: new () => T): (row: Row) => T {
  const toColumns = rowMapper(entity, [...entityColumns(entity).keys()] as Array<keyof T & string>);
  return (row) => Object.assign(new entity(), toColumns(row));
}
