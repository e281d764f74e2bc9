import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { IsInt, IsOptional, IsString } from 'class-validator';
import { declaredQueryOf } from './declared-query.js';

class PageQueryDto {
  @IsOptional()
  @IsInt()
  limit: number = 20;

  @IsOptional()
  @IsString()
  cursor?: string;
}

@Controller('things')
class ThingsController {
  @Get()
  list(@Query() query: PageQueryDto) {
    return query;
  }

  @Get('search')
  search(@Query('term') term: string) {
    return term;
  }

  @Get(':id')
  findOne(@Param('id') id: string) {
    return id;
  }

  @Get('raw')
  raw(@Query() query: Record<string, string>) {
    return query;
  }
}

const declaredFor = (method: keyof ThingsController) =>
  declaredQueryOf(ThingsController, ThingsController.prototype[method]);

describe('declaredQueryOf', () => {
  it("takes a @Query() DTO's validated properties and defaults; other names are refused", () => {
    const declared = declaredFor('list');
    expect([...(declared?.names ?? [])].sort()).toEqual(['cursor', 'limit']);
    expect(declared?.defaults).toEqual({ limit: 20 });
    expect(declared?.refusesUndeclared).toBe(true);
  });

  it('takes the names of @Query(name) parameters; other names are ignored', () => {
    expect(declaredFor('search')).toEqual({
      names: new Set(['term']),
      defaults: {},
      refusesUndeclared: false,
    });
  });

  it('declares nothing for a handler without query parameters', () => {
    expect(declaredFor('findOne')).toEqual({
      names: new Set(),
      defaults: {},
      refusesUndeclared: false,
    });
  });

  it('refuses to bound a handler that takes the whole query untyped', () => {
    expect(declaredFor('raw')).toBeNull();
  });
});
