import type { z } from 'zod';

type AnySchema = z.core.$ZodType;
interface Def {
  type: string;
  innerType?: AnySchema;
  shape?: Record<string, AnySchema>;
  options?: AnySchema[];
  element?: AnySchema;
  items?: AnySchema[];
  in?: AnySchema;
  out?: AnySchema;
  valueType?: AnySchema;
}

const def = (schema: AnySchema): Def => schema._zod.def as unknown as Def;

/** Strips defaults, optionals, pipes and the like down to the schema that holds the data. */
export function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let i = 0; i < 32; i++) {
    const d = def(current);
    if (d.innerType) current = d.innerType;
    else if (d.type === 'pipe' && d.in) current = d.in;
    else return current;
  }
  return current;
}

/** Every schema that can sit at `path` (several when a union is on the way). */
export function schemasAt(schema: AnySchema, path: readonly PropertyKey[]): AnySchema[] {
  let current = [unwrap(schema)];
  for (const key of path) {
    const next: AnySchema[] = [];
    for (const s of current.flatMap(expandUnion)) {
      const d = def(s);
      if (d.type === 'object' && d.shape && typeof key === 'string' && key in d.shape)
        next.push(unwrap(d.shape[key]!));
      else if (d.type === 'array' && d.element) next.push(unwrap(d.element));
      else if (d.type === 'tuple' && d.items && typeof key === 'number' && d.items[key])
        next.push(unwrap(d.items[key]));
      else if (d.type === 'record' && d.valueType) next.push(unwrap(d.valueType));
    }
    current = next;
  }
  return current.flatMap(expandUnion);
}

function expandUnion(schema: AnySchema): AnySchema[] {
  const d = def(schema);
  return d.type === 'union' && d.options ? d.options.map(unwrap).flatMap(expandUnion) : [schema];
}

/** Keys an object at `path` may have, for "did you mean" suggestions. */
export function keysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(schema, path)) {
    const d = def(s);
    if (d.type === 'object' && d.shape) for (const k of Object.keys(d.shape)) keys.add(k);
  }
  return [...keys];
}
