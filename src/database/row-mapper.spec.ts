import { describe, expect, it } from '@jest/globals';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { entityColumns, entityMapper, rowMapper } from './row-mapper.js';

@Entity('row_mapper_probes')
class Probe {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName: string;

  notAColumn?: string;
}

describe('rowMapper', () => {
  it('reads each property from its column name, explicit or implied', () => {
    const toProbe = rowMapper(Probe, ['id', 'displayName']);
    expect(toProbe({ id: 'a', display_name: 'Ada', extra: 1 })).toEqual({
      id: 'a',
      displayName: 'Ada',
    });
  });

  it('refuses a property that is not a column when the mapper is made', () => {
    expect(() => rowMapper(Probe, ['notAColumn'])).toThrow('Probe.notAColumn is not a column');
  });
});

describe('entityMapper', () => {
  it('maps every column to its property, on an instance of the entity', () => {
    const probe = entityMapper(Probe)({ id: 'a', display_name: 'Ada', notAColumn: 'x' });
    expect(probe).toBeInstanceOf(Probe);
    expect({ ...probe }).toEqual({ id: 'a', displayName: 'Ada' });
  });
});

describe('entityColumns', () => {
  it('lists every column property with its column name', () => {
    expect([...entityColumns(Probe)]).toEqual([
      ['id', 'id'],
      ['displayName', 'display_name'],
    ]);
  });
});
