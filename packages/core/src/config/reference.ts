import { z } from 'zod';
import { configSchema } from './schema.js';

/** JSON Schema of config.yaml (input side: keys with defaults are optional) for editor autocompletion. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return { ...schema, title: 'plantid config.yaml', $id: 'https://plantid.dev/config.schema.json' };
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

/** Markdown table of every config key (path, type, default, description), generated from the schema. */
export function configReferenceMarkdown(): string {
  const rows: string[] = ['| key | type | default | description |', '|---|---|---|---|'];
  const walk = (schema: JsonSchema, path: string, required: boolean) => {
    const objects = (schema.anyOf ?? schema.oneOf)?.filter((s) => s.properties) ?? [];
    if (schema.properties && path) rows.push(row(path, schema, required, 'section'));
    if (schema.properties) {
      for (const [key, child] of Object.entries(schema.properties)) {
        walk(child, path ? `${path}.${key}` : key, schema.required?.includes(key) ?? false);
      }
      return;
    }
    if (objects.length > 1) {
      rows.push(row(path, schema, required, 'one of the forms below'));
      objects.forEach((option, i) => {
        for (const [key, child] of Object.entries(option.properties!)) {
          walk(child, `${path}.${key}`, option.required?.includes(key) ?? false);
        }
        if (i < objects.length - 1) rows.push(`| ${cell(`${path}`)} | *or* | | |`);
      });
      return;
    }
    const items = Array.isArray(schema.items) ? undefined : schema.items;
    if (schema.type === 'array' && items?.properties) {
      rows.push(row(path, schema, required, 'list of'));
      for (const [key, child] of Object.entries(items.properties)) {
        walk(child, `${path}[].${key}`, items.required?.includes(key) ?? false);
      }
      return;
    }
    rows.push(row(path, schema, required));
  };
  walk(configJsonSchema() as JsonSchema, '', true);
  return `${rows.join('\n')}\n`;
}

function row(path: string, schema: JsonSchema, required: boolean, kind?: string): string {
  const type = kind ?? typeOf(schema);
  const def =
    schema.default === undefined ? (required ? '**required**' : '') : `\`${JSON.stringify(schema.default)}\``;
  return `| ${cell(`\`${path}\``)} | ${cell(type)} | ${cell(kind === 'section' ? '' : def)} | ${cell(schema.description ?? '')} |`;
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.map(typeOf).join(' | ');
  if (schema.type === 'array') {
    if (schema.prefixItems) return `[${schema.prefixItems.map(typeOf).join(', ')}]`;
    const items = Array.isArray(schema.items) ? undefined : schema.items;
    return items ? `list of ${typeOf(items)}` : 'list';
  }
  let type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'any');
  const low = schema.minimum ?? schema.exclusiveMinimum;
  const high = schema.maximum ?? schema.exclusiveMaximum;
  if (low !== undefined || (high !== undefined && high < Number.MAX_SAFE_INTEGER)) {
    const lo = low === undefined ? '' : `${schema.exclusiveMinimum !== undefined ? '>' : '≥'} ${low}`;
    const hi =
      high === undefined || high >= Number.MAX_SAFE_INTEGER
        ? ''
        : `${schema.exclusiveMaximum !== undefined ? '<' : '≤'} ${high}`;
    type += ` (${[lo, hi].filter(Boolean).join(', ')})`;
  }
  return type;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
