import type { Type } from '@nestjs/common';
import { PARAMTYPES_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { getMetadataStorage } from 'class-validator';

/** The query parameters a route handler declares, read from its `@Query()` parameters. */
export interface DeclaredQuery {
  names: ReadonlySet<string>;
  /** The DTO's property defaults, so `?limit=20` and no `limit` share an entry. */
  defaults: Readonly<Record<string, unknown>>;
  /**
   * The handler validates the whole query against a DTO, and the validation pipe refuses any
   * other name with 400: such a request must reach the pipe, never be answered from the cache.
   */
  refusesUndeclared: boolean;
}

interface RouteArgument {
  index: number;
  data?: unknown;
}

const PRIMITIVES = new Set<unknown>([String, Number, Boolean, Array, Object]);
const known = new WeakMap<object, DeclaredQuery | null>();

/**
 * What `handler` of `controller` declares: a `@Query()` DTO's validated properties (what the
 * whitelisting pipe lets through), or the names of `@Query('name')` parameters, or nothing.
 * `null` when the handler takes the whole query untyped: nothing bounds its inputs, so its
 * responses cannot be cached. Read once per handler.
 */
export function declaredQueryOf(controller: Type, handler: object): DeclaredQuery | null {
  let declared = known.get(handler);
  if (declared === undefined) {
    declared = readDeclaredQuery(controller, (handler as { name: string }).name);
    known.set(handler, declared);
  }
  return declared;
}

function readDeclaredQuery(controller: Type, method: string): DeclaredQuery | null {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<
    string,
    RouteArgument
  >;
  const types = (Reflect.getMetadata(PARAMTYPES_METADATA, controller.prototype as object, method) ??
    []) as unknown[];
  const names = new Set<string>();
  let defaults: Record<string, unknown> = {};
  let refusesUndeclared = false;
  for (const [key, argument] of Object.entries(args)) {
    if (Number(key.split(':')[0]) !== Number(RouteParamtypes.QUERY)) continue;
    if (typeof argument.data === 'string') {
      names.add(argument.data);
      continue;
    }
    const dto = types[argument.index];
    if (typeof dto !== 'function' || PRIMITIVES.has(dto)) return null;
    const properties = getMetadataStorage()
      .getTargetValidationMetadatas(dto, '', false, false)
      .map((metadata) => metadata.propertyName);
    if (properties.length === 0) return null;
    for (const name of properties) names.add(name);
    defaults = definedProperties(new (dto as new () => object)());
    refusesUndeclared = true;
  }
  return { names, defaults, refusesUndeclared };
}

function definedProperties(instance: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(instance).filter(([, value]) => value !== undefined));
}
