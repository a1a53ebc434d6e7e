import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { expressionBuilder, sql, type Selectable } from 'kysely';
import type { DataSource } from 'typeorm';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import {
  CrmCompanyEvent,
  CrmCompanySubjects,
  type Actor,
  type CrmCompanyAddress,
  type CrmCompanyCreateRequest,
  type CrmCompanyListRequest,
  type CrmCompanyUpdateRequest,
  type CrmCompanyView,
  type FieldError,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { hasPermission, requireScope } from '@keyhouse/platform/auth';
import { kyselyFor, toPage, type SqlRunner } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { CrmDb } from '../../../database/crm.db';
import { contactVisibleTo } from '../../contacts-core/contact-access.util';
import { escapeLike } from '../../shared/list-query.util';
import { CrmWorkErrorCode } from '../crm-work.exception';
import { changesBetween, keysetPage, ownershipFilter, userIdOf } from '../work-access.util';

/** The columns of `company` the service reads and returns (all but `deleted_at`). */
const COMPANY_COLUMNS = [
  'id',
  'org_id',
  'name',
  'industry',
  'size',
  'website',
  'phones',
  'address',
  'created_by',
  'created_at',
  'updated_at',
] as const;

/** A live company as the service reads it (a projection of the generated `company` row). */
type StoredCompany = Pick<Selectable<CrmDb['company']>, (typeof COMPANY_COLUMNS)[number]>;

/** Users whose companies make a company "theirs" for scope checks: the creator. */
const COMPANY_USERS = [expressionBuilder<CrmDb, 'company'>().ref('company.created_by')];

/** `address` as written to its jsonb column: JSON text, or SQL NULL. */
const addressValue = (address: CrmCompanyAddress | null): string | null => (address ? JSON.stringify(address) : null);

function toView(row: StoredCompany): CrmCompanyView {
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
      const row = await kyselyFor<CrmDb>(manager)
        .insertInto('company')
        .values({
          id: newId(),
          org_id: actor.orgId,
          name: data.name.trim(),
          industry: data.industry?.trim() || null,
          size: data.size ?? null,
          website: data.website ?? null,
          phones,
          address: addressValue(normalizeAddress(data.address)),
          created_by: userId,
        })
        .returning(COMPANY_COLUMNS)
        .executeTakeFirstOrThrow();
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
    const visibility = ownershipFilter(actor, 'companies:read', COMPANY_USERS);
    let select = kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('company')
      .select(COMPANY_COLUMNS)
      .where('org_id', '=', actor!.orgId)
      .where('deleted_at', 'is', null)
      .where(visibility.where);
    if (data.q) select = select.where('name', 'ilike', `%${escapeLike(data.q.trim())}%`);
    if (data.industry) {
      const industry = data.industry.trim();
      select = select.where((eb) => eb(eb.fn('lower', ['industry']), '=', eb.fn('lower', [eb.val(industry)])));
    }
    const page = keysetPage(data.cursor, data.limit);
    const after = page.after;
    if (after) select = select.where((eb) => eb(eb.refTuple(eb.fn('lower', ['name']), 'id'), '>', eb.tuple(after.v, after.id)));
    const rows = await select
      .orderBy((eb) => eb.fn('lower', ['name']), 'asc')
      .orderBy('id', 'asc')
      .limit(page.limit + 1)
      .execute();
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
      const { count } = await kyselyFor<CrmDb>(this.dataSource)
        .selectFrom('contact as c')
        .select(sql<number>`count(*)::int`.as('count'))
        .where('c.company_id', '=', row.id)
        .where('c.org_id', '=', actor.orgId)
        .where('c.deleted_at', 'is', null)
        .where(contactVisibleTo(actor, 'contacts:read'))
        .executeTakeFirstOrThrow();
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
      const next: StoredCompany = { ...before };
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
      const row = await kyselyFor<CrmDb>(manager)
        .updateTable('company')
        .set({
          name: next.name,
          industry: next.industry,
          size: next.size,
          website: next.website,
          phones: next.phones,
          address: addressValue(next.address),
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', before.id)
        .returning(COMPANY_COLUMNS)
        .executeTakeFirstOrThrow();
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
      await kyselyFor<CrmDb>(unit.manager)
        .updateTable('company')
        .set({ deleted_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
        .where('id', '=', before.id)
        .execute();
      await unit.emit(CrmCompanyEvent.companyDeleted, before.id, actor.orgId, { companyId: before.id, name: before.name });
    });
  }

  private async visible(
    runner: SqlRunner,
    actor: Actor | null,
    permission: 'companies:read' | 'companies:write',
    id: string,
    lock: boolean,
  ): Promise<StoredCompany> {
    const visibility = ownershipFilter(actor, permission, COMPANY_USERS);
    let select = kyselyFor<CrmDb>(runner)
      .selectFrom('company')
      .select(COMPANY_COLUMNS)
      .where('id', '=', id)
      .where('org_id', '=', actor!.orgId)
      .where('deleted_at', 'is', null)
      .where(visibility.where);
    if (lock) select = select.forUpdate();
    const row = await select.executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  private async assertNameFree(runner: SqlRunner, orgId: string, name: string): Promise<void> {
    const taken = await kyselyFor<CrmDb>(runner)
      .selectFrom('company')
      .select('id')
      .where('org_id', '=', orgId)
      .where((eb) => eb(eb.fn('lower', ['name']), '=', eb.fn('lower', [eb.val(name.trim())])))
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (taken) {
      throw new DomainException('conflict', CrmWorkErrorCode.CompanyNameTaken, 'A company with this name exists', [
        { field: 'name', message: 'is already used by another company', code: CrmWorkErrorCode.CompanyNameTaken },
      ]);
    }
  }
}
