import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import {
  CrmCompanyEvent,
  CrmCompanySubjects,
  type Actor,
  type CrmCompanyAddress,
  type CrmCompanyCreateRequest,
  type CrmCompanyListRequest,
  type CrmCompanySize,
  type CrmCompanyUpdateRequest,
  type CrmCompanyView,
  type FieldError,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { hasPermission, requireScope } from '@keyhouse/platform/auth';
import { keyset, queryRows, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { contactVisibility } from '../../contacts-core/contact-access.util';
import { escapeLike, pageOrThrow } from '../../shared/list-query.util';
import { CrmWorkErrorCode } from '../crm-work.exception';
import { changesBetween, ownershipFilter, userIdOf } from '../work-access.util';

interface CompanyRow {
  id: string;
  org_id: string;
  name: string;
  industry: string | null;
  size: CrmCompanySize | null;
  website: string | null;
  phones: string[];
  address: CrmCompanyAddress | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `c.id, c.org_id, c.name, c.industry, c.size, c.website, c.phones, c.address, c.created_by, c.created_at, c.updated_at`;
const RETURNING = COLUMNS.replace(/\bc\./g, '');

function toView(row: CompanyRow): CrmCompanyView {
  return {
    id: row.id,
    name: row.name,
    industry: row.industry,
    size: row.size,
    website: row.website,
    phones: row.phones,
    address: row.address,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Phones to E.164 with libphonenumber-js (numbers without a country code read as US); distinct, in
 * the order given. 400 `INVALID_PHONE` naming `phones[i]` for a number that is not valid.
 */
export function normalizeCompanyPhones(phones: string[]): string[] {
  const errors: FieldError[] = [];
  const normalized: string[] = [];
  phones.forEach((phone, index) => {
    const parsed = parsePhoneNumberFromString(phone, 'US');
    if (!parsed?.isValid())
      errors.push({ field: `phones[${index}]`, message: 'is not a valid phone number', code: CrmWorkErrorCode.InvalidPhone });
    else if (!normalized.includes(parsed.number)) normalized.push(parsed.number);
  });
  if (errors.length > 0) throw new DomainException('validation', CrmWorkErrorCode.InvalidPhone, 'Invalid phone number', errors);
  return normalized;
}

/** Address fields trimmed, empty ones dropped; null when nothing is left. Country upper-cased. */
function normalizeAddress(address: CrmCompanyAddress | null | undefined): CrmCompanyAddress | null {
  if (!address) return null;
  const result: CrmCompanyAddress = {};
  for (const key of ['street', 'city', 'state', 'postalCode', 'country'] as const) {
    const value = address[key]?.trim();
    if (value) result[key] = key === 'country' ? value.toUpperCase() : value;
  }
  return Object.keys(result).length > 0 ? result : null;
}

const notFound = () => DomainException.notFound(CrmWorkErrorCode.CompanyNotFound, 'Company');

/**
 * Companies. Scope of `companies:read` / `companies:write` on the creator (`created_by`): the
 * built-in roles hold them at org scope, so every member of the organization shares companies;
 * a custom role at `own` or `team` scope reaches only its own or its teams' companies. Names are
 * unique per organization (case-insensitive, 409 `COMPANY_NAME_TAKEN`). Delete is soft (contacts
 * may still point at it).
 */
@Injectable()
export class CompaniesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /**
   * `crm.companies.create`: creates a company (phones to E.164, address normalized) and emits
   * `crm.company.created` with its view. Answers the `CrmCompanyView` (without `contactCount`).
   * 400 `INVALID_PHONE`; 403 without `companies:write`, `USER_ACTOR_REQUIRED` for a system caller;
   * 409 `COMPANY_NAME_TAKEN`.
   */
  @RpcHandler(CrmCompanySubjects.create)
  async create(envelope: RequestEnvelope<CrmCompanyCreateRequest>): Promise<CrmCompanyView> {
    const actor = envelope.actor!;
    requireScope(actor, 'companies:write');
    const userId = userIdOf(actor);
    const data = envelope.data;
    const phones = normalizeCompanyPhones(data.phones ?? []);
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      await this.assertNameFree(manager, actor.orgId, data.name);
      const [row] = await queryRows<CompanyRow>(
        manager,
        `INSERT INTO company (id, org_id, name, industry, size, website, phones, address, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${RETURNING}`,
        [
          newId(),
          actor.orgId,
          data.name.trim(),
          data.industry?.trim() || null,
          data.size ?? null,
          data.website ?? null,
          phones,
          normalizeAddress(data.address),
          userId,
        ],
      );
      const view = toView(row);
      await unit.emit(CrmCompanyEvent.companyCreated, row.id, actor.orgId, { company: view });
      return view;
    });
  }

  /**
   * `crm.companies.list`: a page of the companies the caller reaches with `companies:read`, by
   * name (case-insensitive; keyset cursor). 400 for a bad cursor; 403 without `companies:read`.
   */
  @RpcHandler(CrmCompanySubjects.list)
  async list(envelope: RequestEnvelope<CrmCompanyListRequest>): Promise<Page<CrmCompanyView>> {
    const actor = envelope.actor;
    const data = envelope.data;
    const params: unknown[] = [actor?.orgId];
    const where = ['c.org_id = $1', 'c.deleted_at IS NULL', ownershipFilter(actor, 'companies:read', params, ['c.created_by']).sql];
    if (data.q) {
      params.push(`%${escapeLike(data.q.trim())}%`);
      where.push(`c.name ILIKE $${params.length}`);
    }
    if (data.industry) {
      params.push(data.industry.trim());
      where.push(`lower(c.industry) = lower($${params.length})`);
    }
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'lower(c.name)',
        idColumn: 'c.id',
        direction: 'ASC',
        cursor: data.cursor,
        limit: data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = await queryRows<CompanyRow>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM company c WHERE ${where.join(' AND ')} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    );
    return toPage(rows, page.limit, (row) => ({ v: row.name.toLowerCase(), id: row.id }), toView);
  }

  /**
   * `crm.companies.get`: a company with `contactCount`, its contacts the caller may read (null
   * without `contacts:read`). 404 `COMPANY_NOT_FOUND` out of the caller's `companies:read` reach.
   */
  @RpcHandler(CrmCompanySubjects.get)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<CrmCompanyView> {
    const actor = envelope.actor!;
    const row = await this.visible(this.dataSource.manager, actor, 'companies:read', envelope.data.id, false);
    let contactCount: number | null = null;
    if (hasPermission(actor, 'contacts:read')) {
      const params: unknown[] = [row.id, actor.orgId];
      const visibility = contactVisibility(actor, 'contacts:read', params);
      const [{ count }] = (await this.dataSource.query(
        `SELECT count(*)::int AS count FROM contact c WHERE c.company_id = $1 AND c.org_id = $2 AND c.deleted_at IS NULL AND ${visibility}`,
        params,
      )) as Array<{ count: number }>;
      contactCount = count;
    }
    return { ...toView(row), contactCount };
  }

  /**
   * `crm.companies.update`: changes the given fields and emits `crm.company.updated` with the
   * changes (nothing when nothing changed). Answers the `CrmCompanyView`. 404 `COMPANY_NOT_FOUND`
   * out of `companies:write` reach; 400 `INVALID_PHONE`; 409 `COMPANY_NAME_TAKEN`.
   */
  @RpcHandler(CrmCompanySubjects.update)
  async update(envelope: RequestEnvelope<CrmCompanyUpdateRequest>): Promise<CrmCompanyView> {
    const actor = envelope.actor!;
    const data = envelope.data;
    const phones = data.phones !== undefined ? normalizeCompanyPhones(data.phones) : undefined;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.visible(manager, actor, 'companies:write', data.id, true);
      const next: CompanyRow = { ...before };
      if (data.name !== undefined && data.name.trim() !== before.name) {
        if (data.name.trim().toLowerCase() !== before.name.toLowerCase()) await this.assertNameFree(manager, actor.orgId, data.name);
        next.name = data.name.trim();
      }
      if (data.industry !== undefined) next.industry = data.industry?.trim() || null;
      if (data.size !== undefined) next.size = data.size;
      if (data.website !== undefined) next.website = data.website;
      if (phones !== undefined) next.phones = phones;
      if (data.address !== undefined) next.address = normalizeAddress(data.address);
      const changes = changesBetween(
        toView(before) as unknown as Record<string, unknown>,
        toView(next) as unknown as Record<string, unknown>,
      );
      if (Object.keys(changes).length === 0) return toView(before);
      const [row] = await queryRows<CompanyRow>(
        manager,
        `UPDATE company SET name = $2, industry = $3, size = $4, website = $5, phones = $6, address = $7, updated_at = now()
          WHERE id = $1 RETURNING ${RETURNING}`,
        [before.id, next.name, next.industry, next.size, next.website, next.phones, next.address],
      );
      await unit.emit(CrmCompanyEvent.companyUpdated, row.id, actor.orgId, { companyId: row.id, changes });
      return toView(row);
    });
  }

  /**
   * `crm.companies.delete`: soft-deletes a company (contacts keep their `companyId`) and emits
   * `crm.company.deleted`. No content. 404 `COMPANY_NOT_FOUND` out of `companies:write` reach.
   */
  @RpcHandler(CrmCompanySubjects.delete)
  async delete(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    await this.unitOfWork.run(envelope, async (unit) => {
      const before = await this.visible(unit.manager, actor, 'companies:write', envelope.data.id, true);
      await unit.manager.query(`UPDATE company SET deleted_at = now(), updated_at = now() WHERE id = $1`, [before.id]);
      await unit.emit(CrmCompanyEvent.companyDeleted, before.id, actor.orgId, { companyId: before.id, name: before.name });
    });
  }

  private async visible(
    manager: EntityManager,
    actor: Actor | null,
    permission: 'companies:read' | 'companies:write',
    id: string,
    lock: boolean,
  ): Promise<CompanyRow> {
    const params: unknown[] = [id, actor?.orgId];
    const visibility = ownershipFilter(actor, permission, params, ['c.created_by']);
    const [row] = await queryRows<CompanyRow>(
      manager,
      `SELECT ${COLUMNS} FROM company c WHERE c.id = $1 AND c.org_id = $2 AND c.deleted_at IS NULL AND ${visibility.sql} ${lock ? 'FOR UPDATE' : ''}`,
      params,
    );
    if (!row) throw notFound();
    return row;
  }

  private async assertNameFree(manager: EntityManager, orgId: string, name: string): Promise<void> {
    const rows = (await manager.query(`SELECT 1 FROM company WHERE org_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL`, [
      orgId,
      name.trim(),
    ])) as unknown[];
    if (rows.length > 0) {
      throw new DomainException('conflict', CrmWorkErrorCode.CompanyNameTaken, 'A company with this name exists', [
        { field: 'name', message: 'is already used by another company', code: CrmWorkErrorCode.CompanyNameTaken },
      ]);
    }
  }
}
