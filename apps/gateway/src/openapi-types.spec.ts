import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as authDto from './auth/dto/auth.dto';
import * as crmWorkCompaniesDto from './crm-work/dto/companies.dto';
import * as crmWorkSavedRepliesDto from './crm-work/dto/saved-replies.dto';
import * as crmWorkTagsDto from './crm-work/dto/tags.dto';
import * as crmWorkTasksDto from './crm-work/dto/tasks.dto';
import * as crmAssignmentDto from './crm/dto/assignment.dto';
import * as crmContactsDto from './crm/dto/contacts.dto';
import * as crmIntakeDto from './crm/dto/intake.dto';
import * as crmResponsesDto from './crm/dto/responses.dto';
import * as crmSmartListsDto from './crm/dto/smart-lists.dto';
import * as crmViewsDto from './crm/dto/views.dto';
import * as dealsDto from './deals/dto/deals.dto';
import * as dealsOperationsDto from './deals/dto/operations.dto';
import * as dealsResponsesDto from './deals/dto/responses.dto';
import * as listingsEngagementDto from './listings/dto/engagement.dto';
import * as listingsMlsDto from './listings/dto/mls.dto';
import * as listingsPlacesDto from './listings/dto/places.dto';
import * as listingsPropertyViewsDto from './listings/dto/property-views.dto';
import * as listingsPropertyDto from './listings/dto/property.dto';
import * as organizationsDto from './organizations/dto/organizations.dto';
import * as usersDto from './users/dto/users.dto';
import * as userViewsDto from './users/dto/views.dto';

/**
 * The committed OpenAPI document (docs/api/openapi.json, `npm run docs:api`) types every property
 * of the DTOs of the finished domains (identity: users, organizations, auth; listings; deals; crm and crm-work): a
 * `type`, `$ref`, `allOf`, `oneOf` or `enum` each, and an `object` only with its `properties` or
 * `additionalProperties`. Without an explicit `type` in `@ApiProperty`, `string | null`, unions
 * and `unknown` come out as a bare `type: object`, which clients generate as `any`.
 *
 * Scope: the schemas named after the classes these DTO modules export (audit DTOs are checked once
 * their owner adopts the same rule: add their modules here).
 */
const OWNED_DTO_MODULES: Record<string, object> = {
  'auth/dto/auth.dto': authDto,
  'crm/dto/assignment.dto': crmAssignmentDto,
  'crm/dto/contacts.dto': crmContactsDto,
  'crm/dto/intake.dto': crmIntakeDto,
  'crm/dto/responses.dto': crmResponsesDto,
  'crm/dto/smart-lists.dto': crmSmartListsDto,
  'crm/dto/views.dto': crmViewsDto,
  'crm-work/dto/companies.dto': crmWorkCompaniesDto,
  'crm-work/dto/saved-replies.dto': crmWorkSavedRepliesDto,
  'crm-work/dto/tags.dto': crmWorkTagsDto,
  'crm-work/dto/tasks.dto': crmWorkTasksDto,
  'deals/dto/deals.dto': dealsDto,
  'deals/dto/operations.dto': dealsOperationsDto,
  'deals/dto/responses.dto': dealsResponsesDto,
  'listings/dto/engagement.dto': listingsEngagementDto,
  'listings/dto/mls.dto': listingsMlsDto,
  'listings/dto/places.dto': listingsPlacesDto,
  'listings/dto/property-views.dto': listingsPropertyViewsDto,
  'listings/dto/property.dto': listingsPropertyDto,
  'organizations/dto/organizations.dto': organizationsDto,
  'users/dto/users.dto': usersDto,
  'users/dto/views.dto': userViewsDto,
};

/**
 * Genuinely free-form properties (schema.property → why). Each still needs `type: object`
 * with `additionalProperties` unless listed here.
 */
const FREE_FORM: Record<string, string> = {};

interface Schema {
  type?: string | string[];
  $ref?: string;
  allOf?: unknown[];
  oneOf?: unknown[];
  anyOf?: unknown[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
}

interface OpenApiDocument {
  components: { schemas: Record<string, Schema> };
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string; schema?: Schema }> }>>;
}

const DOCUMENT = JSON.parse(readFileSync(resolve(__dirname, '../../../docs/api/openapi.json'), 'utf8')) as OpenApiDocument;

/** Why `schema` is not a typed schema, or null when it is. Arrays must type their items too. */
function untyped(schema: Schema): string | null {
  if (schema.$ref || schema.allOf || schema.oneOf || schema.anyOf || schema.enum) return null;
  if (schema.type === undefined) return 'no type, $ref, allOf, oneOf or enum';
  if (schema.type === 'object' && !schema.properties && schema.additionalProperties === undefined)
    return 'type object without properties or additionalProperties';
  if (schema.type === 'array') {
    if (!schema.items) return 'array without items';
    const inner = untyped(schema.items);
    return inner ? `items: ${inner}` : null;
  }
  return null;
}

/** `Schema.property: why` for every untyped property of the named schemas (nested inline objects included). */
export function untypedProperties(schemas: Record<string, Schema>, names: Iterable<string>): string[] {
  const found: string[] = [];
  const visit = (path: string, schema: Schema) => {
    for (const [property, inner] of Object.entries(schema.properties ?? {})) {
      const where = `${path}.${property}`;
      if (FREE_FORM[where]) continue;
      const why = untyped(inner);
      if (why) found.push(`${where}: ${why}`);
      if (inner.properties) visit(where, inner);
    }
  };
  for (const name of names) if (schemas[name]) visit(name, schemas[name]);
  return found.sort();
}

/** Names of the classes the owned DTO modules export. */
function ownedClassNames(): string[] {
  return Object.values(OWNED_DTO_MODULES)
    .flatMap((module) => Object.entries(module))
    .filter(([, value]) => typeof value === 'function' && /^class\s/.test(Function.prototype.toString.call(value)))
    .map(([name]) => name)
    .sort();
}

describe('OpenAPI types of the identity, listings, deals, crm and crm-work DTOs', () => {
  const owned = ownedClassNames();
  const schemas = DOCUMENT.components.schemas;

  it('finds the owned DTO classes among the document’s schemas (the scope is not empty)', () => {
    const present = owned.filter((name) => schemas[name]);
    expect(present.length).toBeGreaterThan(60);
    expect(present).toEqual(
      expect.arrayContaining([
        'UserViewDto',
        'CreatePropertyDto',
        'CreateTransactionDto',
        'BrandingDto',
        'ContactViewDto',
        'CreateContactDto',
        'TaskViewDto',
        'PondViewDto',
      ]),
    );
  });

  it('gives every property of an owned schema a type (String, Number, a DTO class, an enum, ...)', () => {
    expect(untypedProperties(schemas, owned)).toEqual([]);
  });

  it('types the query and path parameters of the owned routes', () => {
    const ownedRoute =
      /^\/v1\/(auth|users|agents|teams|roles|organizations|api-keys|properties|places|mls-sources|saved-searches|transactions|pipelines|offers|commission-plans|reports\/commissions|deal-settings|invoices|geo|contact-listings|webhooks|local-mailbox|contacts|leads|contact-fields|lead-events|public\/leads|public\/clients|assignment-rules|ponds|smart-lists|tasks|companies|saved-replies|tags)(\/|$)/;
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(DOCUMENT.paths)) {
      if (!ownedRoute.test(path)) continue;
      for (const [method, operation] of Object.entries(operations)) {
        for (const parameter of operation.parameters ?? []) {
          const why = parameter.schema ? untyped(parameter.schema) : 'no schema';
          if (why) missing.push(`${method.toUpperCase()} ${path} ${parameter.in} ${parameter.name}: ${why}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('the check fails on untyped properties (what the Nest plugin makes of `string | null` and `unknown`)', () => {
    const sample: Record<string, Schema> = {
      SampleDto: {
        type: 'object',
        properties: {
          phone: { type: 'object' },
          extra: {},
          tags: { type: 'array', items: {} },
          name: { type: 'string' },
          address: { $ref: '#/components/schemas/AddressDto' },
          nested: { type: 'object', properties: { note: { type: 'object' } } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    };
    expect(untypedProperties(sample, ['SampleDto'])).toEqual([
      'SampleDto.extra: no type, $ref, allOf, oneOf or enum',
      'SampleDto.nested.note: type object without properties or additionalProperties',
      'SampleDto.phone: type object without properties or additionalProperties',
      'SampleDto.tags: items: no type, $ref, allOf, oneOf or enum',
    ]);
  });
});
