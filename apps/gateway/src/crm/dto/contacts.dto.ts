import { ApiProperty, ApiPropertyOptional, PartialType, PickType, type ApiPropertyOptions } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDateString,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import {
  CRM_CONTACT_INPUT_FIELDS,
  CRM_CONTACT_LIST_FIELDS,
  CRM_CONTACT_STATUSES,
  CRM_DUPLICATE_POLICIES,
  type CrmContactInput,
  type CrmContactListRequest,
  type CrmContactStatus,
  type CrmContactStructure,
  type CrmDuplicatePolicy,
  type PageQuery,
} from '@keyhouse/contracts';
import { MAX_PRICE_CENTS } from '@keyhouse/util';
import { PageQueryDto } from '../../users/dto/users.dto';

/** A class a DTO property can be typed by (a nested DTO), or a DTO extends. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin's base must take `...args: any[]`
type DtoClass = new (...args: any[]) => object;

/** A field spec of the contracts (`CrmFieldSpec`) as data. */
interface FieldSpecData {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'nested';
  list?: boolean;
  nested?: string;
  format?: 'email' | 'uuid' | 'date-time';
  enum?: readonly string[];
  nullable?: boolean;
  maxLength?: number;
  pattern?: string;
  maxItems?: number;
  default?: string;
  description?: string;
  example?: string;
  optional?: true;
  additionalProperties?: true | object;
}

/**
 * A DTO class (extending `base`) with one property per field spec of the contracts (`CrmFieldSpec`;
 * `null`: no property), decorated as a hand-written DTO would be: `@ApiProperty` from the spec
 * (type, format, enum, nullable, limits, pattern, default, description) and, for a request (`body`, `query`:
 * every field optional), the class-validator rules (`IsOptional`, the type's validator, `MaxLength`, `Matches`,
 * `IsArray` + `ArrayMaxSize` + each-item rules for lists, `ValidateNested` + `Type` for a
 * structure); query lists also come as `a,b` or repeated (`toList`). A `view` is documented only.
 * `structures` gives the DTO class of each nested structure the specs name.
 *
 * @throws Error at module load when a spec names a structure `structures` lacks.
 */
export function declaredDto<T extends object, B extends DtoClass = never>(
  name: string,
  place: 'body' | 'query' | 'view',
  specs: { [K in keyof T]-?: FieldSpecData | null },
  structures: Partial<Record<CrmContactStructure, DtoClass>>,
  base?: B,
): new () => [B] extends [never] ? T : InstanceType<B> & T {
  const Dto = base ? class extends base {} : class {};
  Object.defineProperty(Dto, 'name', { value: name });
  for (const [key, spec] of Object.entries(specs) as Array<[string, FieldSpecData | null]>) {
    if (!spec) continue;
    const structure = spec.type === 'nested' ? structures[spec.nested as CrmContactStructure] : undefined;
    if (spec.type === 'nested' && !structure) throw new Error(`${name}.${key}: no DTO class for structure '${spec.nested}'`);
    const decorators: PropertyDecorator[] = [];
    const api = apiOptionsOf(spec, structure);
    decorators.push(place === 'view' && !spec.optional ? ApiProperty(api) : ApiPropertyOptional(api));
    if (place !== 'view') {
      decorators.push(IsOptional());
      if (place === 'query' && spec.list) decorators.push(Transform(toList));
      decorators.push(...validatorsOf(spec, structure));
    }
    // As TypeScript applies a property's decorators: the last written first.
    for (const decorator of decorators.reverse()) decorator(Dto.prototype, key);
  }
  return Dto as unknown as new () => [B] extends [never] ? T : InstanceType<B> & T;
}

function apiOptionsOf(spec: FieldSpecData, structure: DtoClass | undefined): ApiPropertyOptions {
  const scalar =
    spec.type === 'nested'
      ? structure
      : spec.type === 'string'
        ? String
        : spec.type === 'boolean'
          ? Boolean
          : spec.type === 'number'
            ? Number
            : spec.type;
  const options: Record<string, unknown> = { type: spec.list ? [scalar] : scalar };
  if (spec.format) options.format = spec.format;
  if (spec.enum) options.enum = spec.enum;
  if (spec.nullable) options.nullable = true;
  if (spec.default !== undefined) options.default = spec.default;
  if (spec.additionalProperties) options.additionalProperties = spec.additionalProperties;
  if (spec.maxLength !== undefined && !spec.list) options.maxLength = spec.maxLength;
  if (spec.pattern !== undefined && !spec.list) options.pattern = spec.pattern;
  if (spec.maxItems !== undefined) options.maxItems = spec.maxItems;
  if (spec.description) options.description = spec.description;
  if (spec.example) options.example = spec.example;
  return options as ApiPropertyOptions;
}

function validatorsOf(spec: FieldSpecData, structure: DtoClass | undefined): PropertyDecorator[] {
  const each: ValidationOptions | undefined = spec.list ? { each: true } : undefined;
  const rules: PropertyDecorator[] = spec.list ? [IsArray(), ...(spec.maxItems !== undefined ? [ArrayMaxSize(spec.maxItems)] : [])] : [];
  switch (spec.type) {
    case 'string':
      if (spec.enum) rules.push(IsIn([...spec.enum], each));
      else if (spec.format === 'email') rules.push(IsEmail({}, each));
      else if (spec.format === 'uuid') rules.push(IsUUID(undefined, each));
      else if (spec.format === 'date-time') rules.push(IsDateString(undefined, each));
      else rules.push(IsString(each));
      if (spec.maxLength !== undefined) rules.push(MaxLength(spec.maxLength, each));
      if (spec.pattern !== undefined)
        rules.push(Matches(new RegExp(spec.pattern), { ...each, message: `$property must match ${spec.pattern}` }));
      break;
    case 'integer':
      rules.push(IsInt(each));
      break;
    case 'number':
      rules.push(IsNumber({}, each));
      break;
    case 'boolean':
      rules.push(IsBoolean(each));
      break;
    case 'object':
      rules.push(IsObject(each));
      break;
    case 'nested':
      rules.push(
        ValidateNested(each),
        Type(() => structure as DtoClass),
      );
      break;
  }
  return rules;
}

/** A query parameter given once, repeated, or comma-separated, as a list. */
const toList = ({ value }: { value: unknown }) =>
  value === undefined
    ? undefined
    : (Array.isArray(value) ? value : [value])
        .flatMap((v) => String(v).split(','))
        .map((v) => v.trim())
        .filter(Boolean);

export class ReferrerDto {
  @ApiProperty({ type: String, enum: ['contact', 'agent', 'partner'] }) @IsIn(['contact', 'agent', 'partner']) type:
    'contact' | 'agent' | 'partner';
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) @IsOptional() @IsUUID() id?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 }) @IsOptional() @IsString() @MaxLength(200) name?: string | null;
}

export class PreferencesDto {
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Integer cents' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_CENTS)
  minPriceCents?: number | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Integer cents' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_CENTS)
  maxPriceCents?: number | null;
  @ApiPropertyOptional({ type: [String], example: ['98103'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(20, { each: true })
  postalCodes?: string[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  areas?: string[];
  @ApiPropertyOptional({ type: 'integer', nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(50) minBeds?: number | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(50) minBaths?: number | null;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  propertyTypes?: string[];
  @ApiPropertyOptional({ type: Boolean, nullable: true }) @IsOptional() @IsBoolean() preApproved?: boolean | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Integer cents' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_CENTS)
  preApprovedAmountCents?: number | null;
}

export class AddressDto {
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() @MaxLength(200) street?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() @MaxLength(100) city?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() @MaxLength(50) state?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '98103' }) @IsOptional() @IsString() @MaxLength(20) postalCode?:
    string | null;
}

export class ConsentEntryDto {
  @ApiProperty({ type: Boolean }) @IsBoolean() granted: boolean;
  @ApiProperty({ type: String, example: 'web_form', description: 'Where the consent was given or withdrawn' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  source: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'ISO 8601; defaults to now' })
  @IsOptional()
  @IsDateString()
  at?: string;
}

export class ConsentDto {
  @ApiPropertyOptional({ type: ConsentEntryDto }) @IsOptional() @ValidateNested() @Type(() => ConsentEntryDto) email?: ConsentEntryDto;
  @ApiPropertyOptional({ type: ConsentEntryDto }) @IsOptional() @ValidateNested() @Type(() => ConsentEntryDto) sms?: ConsentEntryDto;
  @ApiPropertyOptional({ type: ConsentEntryDto }) @IsOptional() @ValidateNested() @Type(() => ConsentEntryDto) call?: ConsentEntryDto;
}

/** Fields of a contact, all optional (create and update): declared once, by `CRM_CONTACT_INPUT_FIELDS` of the contracts. */
export class ContactFieldsDto extends declaredDto<CrmContactInput>('ContactFieldsBaseDto', 'body', CRM_CONTACT_INPUT_FIELDS, {
  referrer: ReferrerDto,
  preferences: PreferencesDto,
  address: AddressDto,
  consent: ConsentDto,
}) {}

export class CreateContactDto extends ContactFieldsDto {
  @ApiPropertyOptional({
    type: String,
    enum: CRM_DUPLICATE_POLICIES,
    default: 'reject',
    description: 'On duplicates: 409 (reject), create anyway, or merge into the best match',
  })
  @IsOptional()
  @IsIn([...CRM_DUPLICATE_POLICIES])
  onDuplicate?: CrmDuplicatePolicy;
}

export class UpdateContactDto extends ContactFieldsDto {}

/** `GET /v1/contacts` query: the page query and the list filters, declared once by `CRM_CONTACT_LIST_FIELDS` of the contracts. */
export class ListContactsQueryDto extends declaredDto<Omit<CrmContactListRequest, keyof PageQuery>, typeof PageQueryDto>(
  'ListContactsQueryBaseDto',
  'query',
  CRM_CONTACT_LIST_FIELDS,
  {},
  PageQueryDto,
) {}

export class MergeContactDto {
  @ApiProperty({ type: String, format: 'uuid', description: 'The contact merged into this one; it keeps mergedIntoId' })
  @IsUUID()
  sourceId: string;
}

export class AssignContactDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The new owner; null unassigns' })
  @IsOptional()
  @IsUUID()
  ownerId: string | null;
  @ApiPropertyOptional({ type: String, maxLength: 500 }) @IsOptional() @IsString() @MaxLength(500) reason?: string;
}

const BULK_IDS = 10_000;

export class BulkIdsDto {
  @ApiProperty({ format: 'uuid', type: [String], maxItems: BULK_IDS })
  @IsArray()
  @ArrayMaxSize(BULK_IDS)
  @IsUUID('all', { each: true })
  ids: string[];
}

export class BulkStatusDto extends BulkIdsDto {
  @ApiProperty({ type: String, enum: CRM_CONTACT_STATUSES }) @IsIn([...CRM_CONTACT_STATUSES]) status: CrmContactStatus;
}

export class BulkAssignDto extends BulkIdsDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) @IsOptional() @IsUUID() ownerId: string | null;
}

export class BulkTagsDto extends BulkIdsDto {
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  add?: string[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  remove?: string[];
}

export class CreateNoteDto {
  @ApiProperty({ type: String, maxLength: 10000 }) @IsString() @IsNotEmpty() @MaxLength(10000) body: string;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() pinned?: boolean;
}

/** `PATCH` of a note: the fields of {@link CreateNoteDto}, each optional. */
export class UpdateNoteDto extends PartialType(CreateNoteDto) {}

export class CreateCustomFieldDto {
  @ApiProperty({ type: String, example: 'moving_date', description: 'snake_case key used in customFields' })
  @IsString()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @Matches(/^[a-z][a-z0-9_]{0,39}$/, { message: 'key must be snake_case, 1 to 40 characters' })
  key: string;
  @ApiProperty({ type: String, maxLength: 100 }) @IsString() @IsNotEmpty() @MaxLength(100) label: string;
  @ApiProperty({ type: String, enum: ['text', 'number', 'boolean', 'date', 'select'] })
  @IsIn(['text', 'number', 'boolean', 'date', 'select'])
  type: 'text' | 'number' | 'boolean' | 'date' | 'select';
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  options?: string[];
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() required?: boolean;
}

export class TimelineQueryDto extends PageQueryDto {}

export class ImportQueryDto {
  @ApiPropertyOptional({ type: String, description: 'JSON object: CSV header → field, e.g. {"E-mail":"email","Zip":"postalCode"}' })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  mapping?: string;
  @ApiPropertyOptional({ type: String, enum: ['merge', 'skip'], default: 'merge' }) @IsOptional() @IsIn(['merge', 'skip']) onDuplicate?:
    'merge' | 'skip';
}

/** `PATCH` of a custom field: label and required as in {@link CreateCustomFieldDto}, each optional; the key and type are fixed. */
export class UpdateCustomFieldDto extends PartialType(PickType(CreateCustomFieldDto, ['label', 'required'] as const)) {
  @ApiPropertyOptional({ type: [String], description: 'Select fields only' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  options?: string[];
}
