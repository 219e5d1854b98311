// A minimal stand-in for zod's types (zod is not a dependency) for the documentation examples
// (test/docs/examples.test.ts): what they call, returning Standard Schema v1 validators with the
// right output types. No top-level import: this file must stay an ambient declaration.
declare module 'zod' {
  type Schema<T> = import('../../src/validate.js').StandardSchemaV1<unknown, T>;
  type Out<S> = import('../../src/validate.js').SchemaOutput<S>;
  export const z: {
    object<S extends Record<string, Schema<unknown>>>(shape: S): Schema<{ [K in keyof S]: Out<S[K]> }>;
    string(): Schema<string>;
    number(): Schema<number>;
    array<T extends Schema<unknown>>(item: T): Schema<Out<T>[]>;
  };
}
