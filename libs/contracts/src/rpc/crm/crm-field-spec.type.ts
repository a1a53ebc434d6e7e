/**
 * How one field of a contract type is validated and documented at the edge, as plain data: the
 * gateway builds its validated DTO and the OpenAPI schema from it (class-validator, @nestjs/swagger),
 * the contract's TypeScript type is the RPC type (and the generated RPC request schema), so a field
 * is declared once, next to its type (CONTRIBUTING.md "Adding a field to contacts").
 *
 * The type follows the field's value type `V`: `nullable: true` exactly when `V` includes `null`,
 * `list: true` exactly when it is an array, a scalar `type` that matches (`string` values may have
 * a `format`, an `enum` of their values, a `maxLength`, a `pattern`), `object` for a free-form JSON object and
 * `nested` for a structure the gateway declares itself (named by `nested`). A spec that does not
 * fit the field fails to compile.
 */
export type CrmFieldSpec<V, Structure extends string = string> = CrmFieldDoc &
  (null extends V ? { nullable: true } : { nullable?: false }) &
  ([NonNullable<V>] extends [ReadonlyArray<infer Item>]
    ? { list: true; /** Most items (validated and documented). */ maxItems?: number } & CrmValueSpec<Item, Structure>
    : { list?: false } & CrmValueSpec<NonNullable<V>, Structure>);

/** What the OpenAPI document says about a field besides its type. */
export interface CrmFieldDoc {
  description?: string;
  example?: string;
  /** The value the service uses when the field is left out. */
  default?: string;
  /** A view field that may be absent (request fields are all optional). */
  optional?: true;
}

/** The spec of one value (of each item, for a list). */
export type CrmValueSpec<V, Structure extends string = string> = [V] extends [boolean]
  ? { type: 'boolean' }
  : [V] extends [number]
    ? { type: 'integer' | 'number' }
    : [V] extends [string]
      ? {
          type: 'string';
          format?: 'email' | 'uuid' | 'date-time';
          /** The allowed values (a constant list of the contracts, e.g. `CRM_CONTACT_TYPES`). */
          enum?: readonly V[];
          /** Most characters (validated and documented). */
          maxLength?: number;
          /** A regular expression (ECMAScript source) every value must match (validated and documented). */
          pattern?: string;
        }
      : | { type: 'object'; /** OpenAPI `additionalProperties` of a free-form object. */ additionalProperties: true | object }
        | { type: 'nested'; nested: Structure };

/** One spec per field of `T` (every field, so a field added to `T` fails to compile until it has its spec). */
export type CrmFieldSpecs<T, Structure extends string = string> = { [K in keyof T]-?: CrmFieldSpec<T[K], Structure> };
