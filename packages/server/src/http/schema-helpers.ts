import { Type } from '@sinclair/typebox';

/** A string enum from a const list, typed as its members (TypeBox's Union of Literals loses them when mapped). */
export const enumOf = <T extends readonly string[]>(values: T, description?: string) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
