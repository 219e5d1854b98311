/**
 * Optional runtime validation of incoming payloads through the Standard Schema v1 interface
 * (https://standardschema.dev), so zod, valibot or arktype schemas plug in without a dependency.
 */
import { TandemError, ErrorCodes } from './errors.js';
import type { EventMap, RequestMap, RequestPayload, ResponsePayload } from './contract.js';
import type { Side } from './envelope.js';

/** One problem found by a schema. */
export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** What a Standard Schema's `validate` returns. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };

/** The Standard Schema v1 interface (the `~standard` property every compliant library provides). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** The output type of a Standard Schema. */
export type SchemaOutput<S> = S extends StandardSchemaV1<unknown, infer O> ? O : unknown;

/** Outcome of {@link validatePayload}. */
export type Validation = { ok: true; value: unknown } | { ok: false; issues: ReadonlyArray<StandardIssue> };

/** Schemas for what one side sends: per event, and per request (its payload and its response). */
export interface SideSchemas<E, R> {
  events?: { [K in keyof E]?: StandardSchemaV1<unknown, E[K]> };
  requests?: { [K in keyof R]?: { request?: StandardSchemaV1<unknown, RequestPayload<R, K>>; response?: StandardSchemaV1<unknown, ResponsePayload<R, K>> } };
}

/** Optional validators for contract `C`, keyed like the contract (by the side that SENDS). */
export interface ContractSchemas<C> {
  client?: SideSchemas<EventMap<C, 'client'>, RequestMap<C, 'client'>>;
  server?: SideSchemas<EventMap<C, 'server'>, RequestMap<C, 'server'>>;
}

/** A contract written as schemas (see {@link defineContract}). */
export interface ContractDefinition {
  client?: SchemaSide;
  server?: SchemaSide;
}

interface SchemaSide {
  events?: Record<string, StandardSchemaV1>;
  requests?: Record<string, { request?: StandardSchemaV1; response?: StandardSchemaV1 }>;
}

type InferSide<S> = {
  events: S extends { events: infer E } ? { -readonly [K in keyof E]: SchemaOutput<E[K]> } : {};
  requests: S extends { requests: infer R }
    ? { -readonly [K in keyof R]: { request: R[K] extends { request: infer Q } ? SchemaOutput<Q> : undefined; response: R[K] extends { response: infer A } ? SchemaOutput<A> : void } }
    : {};
};

/** The contract type described by a {@link defineContract} value. */
export type InferContract<D> = {
  client: InferSide<D extends { client: infer S } ? S : {}>;
  server: InferSide<D extends { server: infer S } ? S : {}>;
};

/**
 * Writes the contract as schemas; `InferContract<typeof value>` is its type and the value itself
 * is the `schemas` option of both ends.
 */
export function defineContract<const D extends ContractDefinition>(definition: D): D {
  return definition;
}

/** An incoming event payload failed its schema; it never reached a listener. */
export class PayloadValidationError extends TandemError {
  /** The event (or request) name. */
  readonly target: string;
  readonly issues: ReadonlyArray<StandardIssue>;

  constructor(target: string, issues: ReadonlyArray<StandardIssue>) {
    super(ErrorCodes.InvalidPayload, `invalid payload for "${target}": ${describeIssues(issues)}`);
    this.target = target;
    this.issues = issues;
  }
}

/** One line describing schema issues, e.g. `text: Expected string`. */
export function describeIssues(issues: ReadonlyArray<StandardIssue>): string {
  return issues
    .map((issue) => {
      const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

function toValidation(result: StandardResult<unknown>): Validation {
  return result.issues ? { ok: false, issues: result.issues } : { ok: true, value: result.value };
}

function thrown(err: unknown): Validation {
  return { ok: false, issues: [{ message: err instanceof Error ? err.message : String(err) }] };
}

/**
 * Runs `schema` on `value`. Synchronous schemas give a synchronous answer (so message order is
 * kept); only an async schema yields a Promise. No schema → valid as is.
 */
export function validatePayload(schema: StandardSchemaV1 | undefined, value: unknown): Validation | Promise<Validation> {
  if (schema === undefined) return { ok: true, value };
  try {
    const result = schema['~standard'].validate(value);
    return result instanceof Promise ? result.then(toValidation, thrown) : toValidation(result);
  } catch (err) {
    // A schema that throws is treated as a failed validation, never as our exception.
    return thrown(err);
  }
}

/** Which schema guards an incoming message: keyed by the side that sent it. */
export function findSchema(
  schemas: ContractDefinition | undefined,
  sender: Side,
  kind: 'event' | 'request' | 'response',
  name: string,
): StandardSchemaV1 | undefined {
  const side = schemas?.[sender];
  if (kind === 'event') return side?.events?.[name];
  const request = side?.requests?.[name];
  return kind === 'request' ? request?.request : request?.response;
}
