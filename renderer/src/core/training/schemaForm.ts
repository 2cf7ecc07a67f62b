/**
 * The training form as data: a JSON Schema (draft 2020-12, what `training.configSchema` returns, made by zod's
 * toJSONSchema) mapped onto a tree of form fields. Objects nest, enums become selects, numbers keep their bounds,
 * arrays of numbers become a row of number inputs, unions (oneOf/anyOf) become a kind selector with the chosen
 * variant's fields, and anything else is edited as JSON text. Pure: no Vue, no DOM.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonSchema = { [key: string]: unknown };

interface FieldBase {
  /** Dotted path in the config ('' for the root), the same form as the engine's issue fields. */
  path: string;
  /** Last path segment ('' for the root). */
  key: string;
  /** The schema's default (what the engine uses when the field is absent). */
  default?: JsonValue;
  required: boolean;
}

export interface NumberBounds {
  integer: boolean;
  min?: number;
  max?: number;
  /** min/max exclude the bound itself. */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
}

export type FormField =
  | (FieldBase & { kind: 'object'; fields: FormField[] })
  | (FieldBase & { kind: 'number' } & NumberBounds)
  | (FieldBase & { kind: 'enum'; options: (string | number)[] })
  | (FieldBase & { kind: 'boolean' })
  | (FieldBase & { kind: 'string'; pattern?: string })
  | (FieldBase & { kind: 'const'; value: JsonValue })
  | (FieldBase & { kind: 'null' })
  /** A fixed-length tuple (prefixItems) or a list of numbers (items) of minItems..maxItems. */
  | (FieldBase & { kind: 'numberList'; minItems: number; maxItems: number; items: NumberBounds[] })
  /** A set of enum values (e.g. flip axes). */
  | (FieldBase & { kind: 'enumList'; options: (string | number)[] })
  | (FieldBase & { kind: 'union'; variants: UnionVariant[] })
  | (FieldBase & { kind: 'json' });

export interface UnionVariant {
  /** What the kind selector shows: the discriminator's value, 'none' for null, else the type. */
  label: string;
  field: FormField;
  /** For object variants told apart by a constant property (optimizer.type = 'adam'). */
  discriminator?: { key: string; value: JsonValue };
}

const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);
const childPath = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

function boundsOf(s: JsonSchema): NumberBounds {
  const b: NumberBounds = { integer: s.type === 'integer' };
  if (typeof s.minimum === 'number') b.min = s.minimum;
  if (typeof s.exclusiveMinimum === 'number') Object.assign(b, { min: s.exclusiveMinimum, exclusiveMin: true });
  if (typeof s.maximum === 'number' && s.maximum < Number.MAX_SAFE_INTEGER) b.max = s.maximum;
  if (typeof s.exclusiveMaximum === 'number') Object.assign(b, { max: s.exclusiveMaximum, exclusiveMax: true });
  return b;
}

const isNumberSchema = (s: unknown): s is JsonSchema => isObject(s) && (s.type === 'number' || s.type === 'integer');

/** Flattens anyOf/oneOf nesting (zod writes a union of a discriminated union and more as anyOf[oneOf[...], ...]). */
function alternatives(s: JsonSchema): JsonSchema[] | null {
  const list = (Array.isArray(s.oneOf) ? s.oneOf : Array.isArray(s.anyOf) ? s.anyOf : null) as unknown[] | null;
  if (!list) return null;
  return list.filter(isObject).flatMap((alt) => (alt.type === undefined && (alt.oneOf || alt.anyOf) ? (alternatives(alt) ?? [alt]) : [alt]));
}

/**
 * The constant property that tells object variants apart: a key holding a different const in each object variant
 * that has it (at least two do; others, like loss's `{terms}` form beside single terms, are told apart by their keys).
 */
function discriminatorKey(variants: JsonSchema[]): string | null {
  const objects = variants.filter((v) => v.type === 'object' && isObject(v.properties));
  const keys = new Set(objects.flatMap((v) => Object.keys(v.properties as JsonSchema)));
  for (const key of keys) {
    const values = objects.map((v) => ((v.properties as JsonSchema)[key] as JsonSchema | undefined)?.const).filter((c) => c !== undefined);
    if (values.length >= 2 && new Set(values.map((c) => JSON.stringify(c))).size === values.length) return key;
  }
  return null;
}

/** Maps one schema node (and its children) onto a form field. */
export function schemaToField(schema: JsonSchema, path = '', required = true): FormField {
  const key = path.split('.').at(-1) ?? '';
  const base: FieldBase = { path, key, required, ...(schema.default !== undefined ? { default: schema.default as JsonValue } : {}) };
  const alts = alternatives(schema);
  if (alts) {
    const dkey = discriminatorKey(alts.filter((a) => a.type === 'object'));
    const variants = alts.map((alt): UnionVariant => {
      const field = schemaToField(alt, path, required);
      if (alt.type === 'null') return { label: 'none', field };
      if (alt.const !== undefined) return { label: String(alt.const), field };
      const tag = dkey !== null && alt.type === 'object' ? ((alt.properties as JsonSchema)[dkey] as JsonSchema | undefined)?.const : undefined;
      if (dkey !== null && tag !== undefined) return { label: String(tag), field, discriminator: { key: dkey, value: tag as JsonValue } };
      if (field.kind === 'object') return { label: `{${field.fields.map((f) => f.key).join(', ')}}`, field };
      return { label: typeof alt.type === 'string' ? alt.type : 'value', field };
    });
    return { ...base, kind: 'union', variants };
  }
  if (schema.const !== undefined) return { ...base, kind: 'const', value: schema.const as JsonValue };
  if (Array.isArray(schema.enum)) return { ...base, kind: 'enum', options: schema.enum as (string | number)[] };
  switch (schema.type) {
    case 'null':
      return { ...base, kind: 'null' };
    case 'boolean':
      return { ...base, kind: 'boolean' };
    case 'number':
    case 'integer':
      return { ...base, kind: 'number', ...boundsOf(schema) };
    case 'string':
      return { ...base, kind: 'string', ...(typeof schema.pattern === 'string' ? { pattern: schema.pattern } : {}) };
    case 'object': {
      // Records (propertyNames / additionalProperties schemas) have no fixed fields: JSON text.
      if (!isObject(schema.properties) || isObject(schema.additionalProperties)) return { ...base, kind: 'json' };
      const requiredKeys = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
      const fields = Object.entries(schema.properties)
        .filter((entry): entry is [string, JsonSchema] => isObject(entry[1]))
        .map(([k, s]) => schemaToField(s, childPath(path, k), requiredKeys.has(k)));
      return { ...base, kind: 'object', fields };
    }
    case 'array': {
      if (Array.isArray(schema.prefixItems) && schema.prefixItems.every(isNumberSchema)) {
        const items = (schema.prefixItems as JsonSchema[]).map(boundsOf);
        return { ...base, kind: 'numberList', minItems: items.length, maxItems: items.length, items };
      }
      if (isNumberSchema(schema.items)) {
        const minItems = typeof schema.minItems === 'number' ? schema.minItems : 1;
        const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(minItems, 8);
        return { ...base, kind: 'numberList', minItems, maxItems, items: Array.from({ length: maxItems }, () => boundsOf(schema.items as JsonSchema)) };
      }
      if (isObject(schema.items) && Array.isArray(schema.items.enum)) return { ...base, kind: 'enumList', options: schema.items.enum as (string | number)[] };
      return { ...base, kind: 'json' };
    }
    default:
      return { ...base, kind: 'json' };
  }
}

/** Which variant of a union a value is (by discriminator, null, const, then JSON type); -1 when none fits. */
export function variantOf(field: Extract<FormField, { kind: 'union' }>, value: JsonValue | undefined): number {
  const v = value === undefined ? field.default : value;
  const fits = (f: FormField): boolean => {
    if (f.kind === 'null') return v === null;
    if (f.kind === 'const') return JSON.stringify(f.value) === JSON.stringify(v);
    if (f.kind === 'number') return typeof v === 'number';
    if (f.kind === 'string' || f.kind === 'enum') return typeof v === 'string' && (f.kind === 'string' || f.options.includes(v));
    if (f.kind === 'boolean') return typeof v === 'boolean';
    if (f.kind === 'numberList' || f.kind === 'enumList') return Array.isArray(v);
    // An object fits a variant without a discriminator when it has only that variant's keys.
    if (f.kind === 'object') return isObject(v) && Object.keys(v).every((k) => f.fields.some((x) => x.key === k));
    return v !== undefined;
  };
  const byKey = field.variants.findIndex((x) => x.discriminator && isObject(v) && JSON.stringify(v[x.discriminator.key]) === JSON.stringify(x.discriminator.value));
  if (byKey >= 0) return byKey;
  return field.variants.findIndex((x) => !x.discriminator && fits(x.field));
}

/** The value a field starts with when the user picks it (a union variant, an optional object): its defaults. */
export function initialValue(field: FormField): JsonValue {
  if (field.default !== undefined) return JSON.parse(JSON.stringify(field.default)) as JsonValue;
  switch (field.kind) {
    case 'const':
      return field.value;
    case 'null':
      return null;
    case 'boolean':
      return false;
    case 'number':
      return field.min !== undefined ? (field.exclusiveMin ? field.min + (field.integer ? 1 : Math.max(1e-3, Math.abs(field.min) * 0.1)) : field.min) : 0;
    case 'enum':
      return field.options[0] ?? '';
    case 'string':
      return '';
    case 'numberList':
      return field.items.slice(0, field.minItems).map((b) => (b.min !== undefined ? b.min : 0));
    case 'enumList':
      return [];
    case 'union':
      return initialValue(field.variants[0].field);
    case 'object': {
      // Required fields and the discriminator get values; optional fields keep their defaults by being absent.
      const out: { [key: string]: JsonValue } = {};
      for (const f of field.fields) if (f.required || f.kind === 'const') out[f.key] = initialValue(f);
      return out;
    }
    default:
      return null;
  }
}

/** The value at a dotted path ('' = the whole value); undefined when a step is missing. */
export function getAt(value: JsonValue | undefined, path: string): JsonValue | undefined {
  if (path === '') return value;
  let v: JsonValue | undefined = value;
  for (const part of path.split('.')) {
    if (Array.isArray(v)) v = v[Number(part)];
    else if (isObject(v)) v = (v as { [key: string]: JsonValue })[part];
    else return undefined;
  }
  return v;
}

/**
 * A copy of `root` with `value` at `path` (objects made on the way); `undefined` removes the key so the engine's
 * default applies again.
 */
export function setAt(root: { [key: string]: JsonValue }, path: string, value: JsonValue | undefined): { [key: string]: JsonValue } {
  const parts = path.split('.');
  const copy = (node: JsonValue | undefined, i: number): JsonValue | undefined => {
    if (i === parts.length) return value;
    const part = parts[i];
    // A missing step becomes an array when the path indexes it by number (patchSize.0).
    if (node === undefined && /^\d+$/.test(part)) node = [];
    if (Array.isArray(node)) {
      const arr = [...node];
      const next = copy(arr[Number(part)], i + 1);
      if (next === undefined) arr.splice(Number(part), 1);
      else arr[Number(part)] = next;
      return arr;
    }
    const obj: { [key: string]: JsonValue } = isObject(node) ? { ...(node as { [key: string]: JsonValue }) } : {};
    const next = copy(obj[part], i + 1);
    if (next === undefined) delete obj[part];
    else obj[part] = next;
    return obj;
  };
  return copy(root, 0) as { [key: string]: JsonValue };
}

/**
 * Text typed in a number box as the config value: a number when it reads as one, else the text itself, so the
 * engine's validation names the field ("must be number, got string").
 */
export function parseNumberInput(text: string): number | string {
  const t = text.trim();
  if (t !== '' && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
  return text;
}

/** Issues that belong next to a field: its own, and for leaves and JSON fields those of anything below it. */
export function issuesFor<T extends { field: string }>(field: FormField, issues: readonly T[]): T[] {
  const deep = field.kind !== 'object' && field.kind !== 'union';
  return issues.filter((i) => i.field === field.path || (deep && i.field.startsWith(`${field.path}.`)));
}
