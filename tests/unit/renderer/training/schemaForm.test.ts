// The training form from JSON Schema: small exact schemas (defaults, nesting, enums, bounds, arrays, oneOf/anyOf),
// the real training schema, and the value helpers the form edits with.
import { describe, expect, it } from 'vitest';
import { trainingConfigSchema } from '../../../../main/services/jobKinds/trainCheck.ts';
import { getAt, initialValue, issuesFor, parseNumberInput, schemaToField, setAt, variantOf, type FormField, type JsonSchema } from '../../../../renderer/src/core/training/schemaForm.ts';

type Union = Extract<FormField, { kind: 'union' }>;

describe('schemaToField', () => {
  it.each<[string, JsonSchema, Partial<FormField> & Record<string, unknown>]>([
    ['integer with bounds and default', { default: 0, type: 'integer', minimum: 0, maximum: 2147483647 }, { kind: 'number', integer: true, min: 0, max: 2147483647, default: 0 }],
    ['number with exclusive minimum', { type: 'number', exclusiveMinimum: 0 }, { kind: 'number', integer: false, min: 0, exclusiveMin: true }],
    ['safe-integer maximum dropped', { type: 'integer', minimum: 1, maximum: 9007199254740991 }, { kind: 'number', integer: true, min: 1 }],
    ['enum', { default: 'auto', type: 'string', enum: ['auto', 'cpu'] }, { kind: 'enum', options: ['auto', 'cpu'], default: 'auto' }],
    ['boolean', { default: false, type: 'boolean' }, { kind: 'boolean', default: false }],
    ['string with pattern', { type: 'string', pattern: '^a$' }, { kind: 'string', pattern: '^a$' }],
    ['list of integers', { minItems: 2, maxItems: 3, type: 'array', items: { type: 'integer', minimum: 4, maximum: 1024 } }, { kind: 'numberList', minItems: 2, maxItems: 3 }],
    ['tuple of numbers', { type: 'array', prefixItems: [{ type: 'number', minimum: -1 }, { type: 'number', maximum: 1 }], items: false }, { kind: 'numberList', minItems: 2, maxItems: 2, items: [{ integer: false, min: -1 }, { integer: false, max: 1 }] }],
    ['set of enum values', { type: 'array', items: { type: 'string', enum: ['x', 'y'] } }, { kind: 'enumList', options: ['x', 'y'] }],
    ['array of objects as JSON', { type: 'array', items: { type: 'object', properties: {} } }, { kind: 'json' }],
    ['record as JSON', { type: 'object', propertyNames: { type: 'string' }, additionalProperties: { type: 'number' } }, { kind: 'json' }],
  ])('%s', (_name, schema, expected) => {
    expect(schemaToField(schema, 'a.b')).toMatchObject({ path: 'a.b', key: 'b', ...expected });
  });

  it('nests objects with dotted paths and required flags', () => {
    const field = schemaToField({
      type: 'object',
      properties: { net: { default: {}, type: 'object', properties: { levels: { default: 4, type: 'integer' } } }, patch: { type: 'array', items: { type: 'integer' } } },
      required: ['patch'],
    });
    expect(field).toMatchObject({
      kind: 'object',
      path: '',
      fields: [
        { kind: 'object', path: 'net', required: false, default: {}, fields: [{ kind: 'number', path: 'net.levels', default: 4, required: false }] },
        { kind: 'numberList', path: 'patch', required: true },
      ],
    });
  });

  it('turns a oneOf of objects with a constant key into a kind selector', () => {
    const field = schemaToField({
      default: { type: 'adam', lr: 0.001 },
      oneOf: [
        { type: 'object', properties: { type: { type: 'string', const: 'adam' }, lr: { default: 0.001, type: 'number' } }, required: ['type'] },
        { type: 'object', properties: { type: { type: 'string', const: 'sgd' }, momentum: { default: 0.99, type: 'number' } }, required: ['type'] },
      ],
    }, 'optimizer') as Union;
    expect(field.kind).toBe('union');
    expect(field.variants.map((v) => [v.label, v.discriminator])).toEqual([
      ['adam', { key: 'type', value: 'adam' }],
      ['sgd', { key: 'type', value: 'sgd' }],
    ]);
    expect(variantOf(field, { type: 'sgd' })).toBe(1);
    expect(variantOf(field, undefined)).toBe(0);
    expect(initialValue(field.variants[1].field)).toEqual({ type: 'sgd' });
  });

  it.each([
    [5, 0],
    ['auto', 1],
    [undefined, 1],
    [true, -1],
  ])('anyOf number | "auto": value %j is variant %j', (value, index) => {
    const field = schemaToField({ default: 'auto', anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', const: 'auto' }] }) as Union;
    expect(field.variants.map((v) => v.label)).toEqual(['integer', 'auto']);
    expect(variantOf(field, value as never)).toBe(index);
  });

  it('nullable settings: a "none" variant', () => {
    const field = schemaToField({ default: null, anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'null' }] }) as Union;
    expect(field.variants.map((v) => v.label)).toEqual(['number', 'none']);
    expect([variantOf(field, null), variantOf(field, 3)]).toEqual([1, 0]);
  });

  it('maps the real training schema', async () => {
    const { jsonSchema } = await trainingConfigSchema();
    const root = schemaToField(jsonSchema) as Extract<FormField, { kind: 'object' }>;
    const byKey = Object.fromEntries(root.fields.map((f) => [f.key, f]));
    expect(byKey.patchSize).toMatchObject({ kind: 'numberList', required: true, minItems: 2, maxItems: 3 });
    expect(byKey.backend).toMatchObject({ kind: 'enum', options: ['auto', 'cpu', 'webgpu', 'tensorflow'] });
    expect((byKey.optimizer as Union).variants.map((v) => v.label)).toEqual(['adam', 'adamw', 'sgd']);
    expect((byKey.batchSize as Union).variants.map((v) => v.label)).toEqual(['integer', 'auto']);
    const network = byKey.network as Extract<FormField, { kind: 'object' }>;
    expect(network.fields.find((f) => f.key === 'kind')).toMatchObject({ kind: 'enum', options: ['2d', '2.5d', '3d'], path: 'network.kind' });
    expect(byKey.earlyStopping).toMatchObject({ kind: 'union' });
    // loss: single terms told apart by 'type', beside the {terms} form (the default).
    const loss = byKey.loss as Union;
    expect(loss.variants.map((v) => v.label)).toEqual(expect.arrayContaining(['ce', 'dice', '{terms}']));
    expect(loss.variants[variantOf(loss, undefined)].label).toBe('{terms}');
    expect(loss.variants[variantOf(loss, { type: 'dice' })].label).toBe('dice');
  });
});

describe('value helpers', () => {
  it.each([
    ['a.b', 1, { a: { b: 1 }, k: 2 }],
    ['a.c.0', 5, { a: { c: [5] }, k: 2 }],
    ['k', undefined, { a: {} }],
  ])('setAt(%j, %j)', (path, value, expected) => {
    expect(setAt({ a: {}, k: 2 }, path, value)).toEqual(expected);
  });

  it('setAt leaves the original untouched; getAt reads paths through arrays', () => {
    const root = { p: [1, 2], o: { x: 1 } };
    const next = setAt(root, 'p.1', 9);
    expect(root.p).toEqual([1, 2]);
    expect(getAt(next, 'p.1')).toBe(9);
    expect(getAt(next, 'o.x')).toBe(1);
    expect(getAt(next, 'o.x.y')).toBeUndefined();
  });

  it.each([
    ['-1', -1],
    ['1e-3', 0.001],
    [' 4 ', 4],
    ['.5', 0.5],
    ['abc', 'abc'],
    ['', ''],
    ['1..2', '1..2'],
  ])('parseNumberInput(%j) = %j', (text, value) => expect(parseNumberInput(text)).toBe(value));

  it('issues next to a field: exact for objects, below too for leaves', () => {
    const issues = [{ field: 'optimizer.lr', problem: 'x' }, { field: 'patchSize.1', problem: 'y' }, { field: 'optimizer', problem: 'z' }];
    const leaf = schemaToField({ type: 'array', items: { type: 'integer' } }, 'patchSize');
    const obj = schemaToField({ type: 'object', properties: {} }, 'optimizer');
    expect(issuesFor(leaf, issues).map((i) => i.problem)).toEqual(['y']);
    expect(issuesFor(obj, issues).map((i) => i.problem)).toEqual(['z']);
  });
});
