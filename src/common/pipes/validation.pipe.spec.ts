import { describe, expect, it } from '@jest/globals';
import type { ValidationError } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import { IsEmail, IsInt, IsString, Min, ValidateBy, ValidateNested } from 'class-validator';
import { DomainError } from '../errors/domain-error.js';
import { createValidationPipe, findReservedKeys, toFieldErrors } from './validation.pipe.js';

class LineDto {
  @IsString() name: string;
  @IsInt() @Min(1) quantity: number;
}

class OrderDto {
  @IsEmail() email: string;
  @ValidateNested({ each: true }) @Type(() => LineDto) lines: LineDto[];
}

describe('toFieldErrors', () => {
  it('returns nothing for no errors', () => {
    expect(toFieldErrors([])).toEqual([]);
  });

  it('gives one entry per failed constraint of a top-level property', () => {
    const errors: ValidationError[] = [
      {
        property: 'email',
        constraints: { isEmail: 'email must be an email', isNotEmpty: 'email should not be empty' },
      },
    ];
    expect(toFieldErrors(errors)).toEqual([
      { field: 'email', message: 'email must be an email' },
      { field: 'email', message: 'email should not be empty' },
    ]);
  });

  it('joins nested properties with dots', () => {
    const errors: ValidationError[] = [
      {
        property: 'profile',
        children: [
          {
            property: 'address',
            children: [{ property: 'city', constraints: { isString: 'city must be a string' } }],
          },
        ],
      },
    ];
    expect(toFieldErrors(errors)).toEqual([
      { field: 'profile.address.city', message: 'city must be a string' },
    ]);
  });

  it('writes array indexes in brackets', () => {
    const errors: ValidationError[] = [
      {
        property: 'items',
        children: [
          { property: '0', children: [{ property: 'name', constraints: { isString: 'bad' } }] },
          { property: '12', constraints: { isObject: 'not an object' } },
        ],
      },
    ];
    expect(toFieldErrors(errors)).toEqual([
      { field: 'items[0].name', message: 'bad' },
      { field: 'items[12]', message: 'not an object' },
    ]);
  });

  it('keeps a property’s own errors before its children’s', () => {
    const errors: ValidationError[] = [
      {
        property: 'settings',
        constraints: { isObject: 'settings must be an object' },
        children: [{ property: 'theme', constraints: { isIn: 'theme is unknown' } }],
      },
      { property: 'name', constraints: { isString: 'name must be a string' } },
    ];
    expect(toFieldErrors(errors)).toEqual([
      { field: 'settings', message: 'settings must be an object' },
      { field: 'settings.theme', message: 'theme is unknown' },
      { field: 'name', message: 'name must be a string' },
    ]);
  });
});

describe('createValidationPipe', () => {
  const pipe = createValidationPipe();
  const metadata = { type: 'body', metatype: OrderDto } as const;

  it('converts a valid body into the DTO', async () => {
    const order = await pipe.transform(
      { email: 'a@example.com', lines: [{ name: 'pen', quantity: 2 }] },
      metadata,
    );
    expect(order).toBeInstanceOf(OrderDto);
    expect((order as OrderDto).lines[0]).toBeInstanceOf(LineDto);
  });

  it('refuses an invalid body with VALIDATION_FAILED and a field path for each problem', async () => {
    const transform = pipe.transform(
      {
        email: 'nope',
        lines: [
          { name: 'pen', quantity: 1 },
          { name: 7, quantity: 0 },
        ],
      },
      metadata,
    );
    await expect(transform).rejects.toBeInstanceOf(DomainError);
    await expect(transform).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      kind: 'invalid',
      fieldErrors: [
        { field: 'email', message: 'email must be an email' },
        { field: 'lines[1].name', message: 'name must be a string' },
        { field: 'lines[1].quantity', message: 'quantity must not be less than 1' },
      ],
    });
  });

  it('refuses unknown fields by name', async () => {
    await expect(
      pipe.transform({ email: 'a@example.com', lines: [], isAdmin: true }, metadata),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fieldErrors: [{ field: 'isAdmin', message: 'property isAdmin should not exist' }],
    });
  });
});

class ThrowingDto {
  @ValidateBy({
    name: 'explodes',
    validator: {
      validate: () => {
        throw new URIError('URI malformed');
      },
    },
  })
  fuse: string;

  @IsString() label: string;
}

class ThrowingTransformDto {
  @Transform(() => {
    throw new RangeError('Maximum call stack size exceeded');
  })
  @IsString()
  value: string;
}

describe('createValidationPipe on validators that throw', () => {
  const pipe = createValidationPipe();

  it('refuses an email holding a lone surrogate with VALIDATION_FAILED, not a URIError', async () => {
    await expect(
      pipe.transform({ email: '\ud800@x.test', lines: [] }, { type: 'body', metatype: OrderDto }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fieldErrors: [{ field: 'email', message: expect.any(String) }],
    });
  });

  it('names the field whose validator threw', async () => {
    await expect(
      pipe.transform({ label: 'ok', fuse: 'x' }, { type: 'body', metatype: ThrowingDto }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fieldErrors: [{ field: 'fuse', message: 'fuse is not a valid value' }],
    });
  });

  it('names the field whose transformer threw', async () => {
    await expect(
      pipe.transform({ value: 'x' }, { type: 'body', metatype: ThrowingTransformDto }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fieldErrors: [{ field: 'value', message: 'value is not a valid value' }],
    });
  });
});

describe('findReservedKeys', () => {
  it('lists reserved keys at any depth, in document order', () => {
    const value = JSON.parse(
      '{"a":{"__proto__":{"constructor":1}},"b":[{"prototype":2}],"__proto__":3}',
    ) as unknown;
    expect(findReservedKeys(value)).toEqual([
      'a.__proto__',
      'a.__proto__.constructor',
      'b[0].prototype',
      '__proto__',
    ]);
  });

  it('walks a 10,000-level value without running out of stack', () => {
    const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`) as unknown;
    expect(findReservedKeys(deep)).toEqual([]);
  });
});
