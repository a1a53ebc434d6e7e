import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, MaxLength, ValidateNested } from 'class-validator';
import { CRM_COMPANY_SIZES, CRM_CONTACT_SORTS, type CrmCompanySize, type CrmContactSort } from '@keyhouse/contracts';
import { PageQueryDto } from '../../users/dto/users.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CompanyAddressDto {
  @ApiPropertyOptional({ type: String, nullable: true, example: '1301 2nd Ave' }) @IsOptional() @IsString() @MaxLength(200) street?:
    string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Seattle' }) @IsOptional() @IsString() @MaxLength(100) city?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'WA' }) @IsOptional() @IsString() @MaxLength(100) state?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '98101' }) @IsOptional() @IsString() @MaxLength(20) postalCode?:
    string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'US', description: 'ISO 3166-1 alpha-2' })
  @IsOptional()
  @Matches(/^[A-Za-z]{2}$/, { message: 'country must be a two-letter ISO 3166-1 code' })
  country?: string | null;
}

export class CreateCompanyDto {
  @ApiProperty({ type: String, maxLength: 200, example: 'Evergreen Relocation LLC' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Relocation' }) @IsOptional() @IsString() @MaxLength(100) industry?:
    string | null;
  @ApiPropertyOptional({ type: String, enum: CRM_COMPANY_SIZES, nullable: true, description: 'Employees' })
  @IsOptional()
  @IsIn([...CRM_COMPANY_SIZES])
  size?: CrmCompanySize | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://evergreen-relocation.example' })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true }, { message: 'website must be an http(s) URL' })
  @MaxLength(300)
  website?: string | null;
  @ApiPropertyOptional({ type: [String], example: ['(206) 555-0100'], description: 'Normalized to E.164 (default region US)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  phones?: string[];
  @ApiPropertyOptional({ type: CompanyAddressDto, nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => CompanyAddressDto)
  address?: CompanyAddressDto | null;
}

/** `PATCH` of a company: the fields of {@link CreateCompanyDto}, each optional. */
export class UpdateCompanyDto extends PartialType(CreateCompanyDto) {}

export class ListCompaniesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, description: 'Case-insensitive part of the name' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() @MaxLength(100) industry?: string;
}

/** `GET /v1/companies/:id/contacts`: page and sort of the company's contacts. */
export class CompanyContactsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: String, enum: CRM_CONTACT_SORTS, default: '-createdAt' })
  @IsOptional()
  @IsIn([...CRM_CONTACT_SORTS])
  sort?: CrmContactSort;
}

export class CompanyViewDto {
  @ApiProperty({ type: String, format: 'uuid' }) id: string;
  @ApiProperty({ type: String }) name: string;
  @ApiProperty({ type: String, nullable: true }) industry: string | null;
  @ApiProperty({ type: String, enum: CRM_COMPANY_SIZES, nullable: true }) size: string | null;
  @ApiProperty({ type: String, nullable: true }) website: string | null;
  @ApiProperty({ type: [String], description: 'E.164' }) phones: string[];
  @ApiProperty({ type: CompanyAddressDto, nullable: true }) address: CompanyAddressDto | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The user who created it' }) createdBy: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'On GET /v1/companies/:id: linked contacts the caller may read' })
  contactCount?: number | null;
}

export class CompanyPageDto {
  @ApiProperty({ type: [CompanyViewDto] }) items: CompanyViewDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
