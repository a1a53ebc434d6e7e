import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Selectable } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  CrmContactEvent,
  CrmContactSubjects as S,
  type CrmCustomFieldCreateRequest,
  type CrmCustomFieldUpdateRequest,
  type CrmCustomFieldView,
  type CrmFieldChanges,
  type FieldError,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { isUuid, newId } from '@keyhouse/util';
import { CrmErrorCode } from '../../crm.exception';
import type { CrmDb } from '../../database/crm.db';

/** A `custom_field_definition` row (declared by the migrations: `crm.db.ts`). */
type FieldRow = Selectable<CrmDb['custom_field_definition']>;

const toView = (row: FieldRow): CrmCustomFieldView => ({
  id: row.id,
  key: row.key,
  label: row.label,
  type: row.type,
  options: row.options,
  required: row.required,
  createdAt: row.created_at.toISOString(),
});

/**
 * Custom contact fields defined per organization (typed: text ≤ 1000 chars, number, boolean,
 * date `YYYY-MM-DD`, select among `options`; optionally required). Admins define, relabel and
 * remove them (`contacts:write` at org scope; key and type are fixed once created); every
 * contact write is validated against them.
 */
@Injectable()
export class CustomFieldsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** `GET /v1/contact-fields` (`contacts:read`): the organization's definitions, oldest first. */
  @RpcHandler(S.fieldList)
  async list(envelope: RequestEnvelope): Promise<CrmCustomFieldView[]> {
    requireScope(envelope.actor, 'contacts:read');
    return (await this.definitions(this.dataSource.manager, envelope.actor!.orgId)).map(toView);
  }

  /** `POST /v1/contact-fields` (admins): 409 `CUSTOM_FIELD_KEY_TAKEN` for a key in use; emits `crm.custom_field.created`. */
  @RpcHandler(S.fieldCreate)
  async create(envelope: RequestEnvelope<CrmCustomFieldCreateRequest>): Promise<CrmCustomFieldView> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:write', 'org');
    const data = envelope.data;
    if (data.type === 'select' && !data.options?.length) {
      throw DomainException.validation([{ field: 'options', message: 'a select field needs at least one option' }]);
    }
    return this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const id = newId();
      const rows = await kyselyFor<CrmDb>(manager)
        .insertInto('custom_field_definition')
        .values({
          id,
          org_id: actor.orgId,
          key: data.key,
          label: data.label.trim(),
          type: data.type,
          options: data.type === 'select' ? data.options : [],
          required: data.required ?? false,
        })
        .onConflict((conflict) => conflict.columns(['org_id', 'key']).doNothing())
        .returningAll()
        .execute();
      if (!rows[0]) {
        throw new DomainException('conflict', CrmErrorCode.CustomFieldKeyTaken, 'A custom field with this key exists', [
          { field: 'key', message: 'is already defined' },
        ]);
      }
      await unit.emit(CrmContactEvent.customFieldCreated, id, actor.orgId, { field: toView(rows[0]) });
      return toView(rows[0]);
    });
  }

  /** `PATCH /v1/contact-fields/:id` (admins): label, options (select only) and required (404 `CUSTOM_FIELD_NOT_FOUND`); emits `crm.custom_field.updated` when something changed. */
  @RpcHandler(S.fieldUpdate)
  async update(envelope: RequestEnvelope<CrmCustomFieldUpdateRequest>): Promise<CrmCustomFieldView> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:write', 'org');
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const db = kyselyFor<CrmDb>(manager);
      const before = isUuid(data.id)
        ? await db
            .selectFrom('custom_field_definition')
            .selectAll()
            .where('org_id', '=', actor.orgId)
            .where('id', '=', data.id)
            .forUpdate()
            .executeTakeFirst()
        : undefined;
      if (!before) throw DomainException.notFound(CrmErrorCode.CustomFieldNotFound, 'Custom field');
      if (data.options !== undefined && before.type !== 'select')
        throw DomainException.validation([{ field: 'options', message: 'only a select field has options' }]);
      if (data.options !== undefined && data.options.length === 0)
        throw DomainException.validation([{ field: 'options', message: 'a select field needs at least one option' }]);
      const row = await db
        .updateTable('custom_field_definition')
        .set({
          label: data.label?.trim() ?? before.label,
          options: data.options ?? before.options,
          required: data.required ?? before.required,
        })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = toView(row);
      const changes: CrmFieldChanges = {};
      for (const key of ['label', 'options', 'required'] as const) {
        if (JSON.stringify(toView(before)[key]) !== JSON.stringify(after[key]))
          changes[key] = { from: toView(before)[key], to: after[key] };
      }
      if (Object.keys(changes).length > 0) {
        await unit.emit(CrmContactEvent.customFieldUpdated, before.id, actor.orgId, { fieldId: before.id, key: before.key, changes });
      }
      return after;
    });
  }

  /** `DELETE /v1/contact-fields/:id` (admins): the definition goes, stored values stay (404 `CUSTOM_FIELD_NOT_FOUND`); emits `crm.custom_field.deleted`. */
  @RpcHandler(S.fieldDelete)
  async delete(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    requireScope(actor, 'contacts:write', 'org');
    await this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const rows = isUuid(envelope.data.id)
        ? await kyselyFor<CrmDb>(manager)
            .deleteFrom('custom_field_definition')
            .where('org_id', '=', actor.orgId)
            .where('id', '=', envelope.data.id)
            .returning('key')
            .execute()
        : [];
      if (!rows[0]) throw DomainException.notFound(CrmErrorCode.CustomFieldNotFound, 'Custom field');
      await unit.emit(CrmContactEvent.customFieldDeleted, envelope.data.id, actor.orgId, {
        fieldId: envelope.data.id,
        key: rows[0].key,
      });
    });
  }

  /** The organization's custom field definitions, oldest first. */
  definitions(manager: EntityManager, orgId: string): Promise<FieldRow[]> {
    return kyselyFor<CrmDb>(manager)
      .selectFrom('custom_field_definition')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /**
   * Merges `input` into `current` after validating each value against the organization's
   * definitions: unknown keys and wrong types are field errors `customFields.<key>`; `null`
   * removes a value; `requireAll` (creation) also reports missing required fields.
   */
  async apply(
    manager: EntityManager,
    orgId: string,
    current: Record<string, unknown>,
    input: Record<string, unknown> | undefined,
    requireAll: boolean,
    errors: FieldError[],
  ): Promise<Record<string, unknown>> {
    if (!input && !requireAll) return current;
    const definitions = await this.definitions(manager, orgId);
    const next = { ...current };
    for (const [key, value] of Object.entries(input ?? {})) {
      const definition = definitions.find((candidate) => candidate.key === key);
      const field = `customFields.${key}`;
      if (!definition) {
        errors.push({ field, message: 'is not a custom field of this organization', code: CrmErrorCode.InvalidCustomField });
        continue;
      }
      if (value === null) {
        delete next[key];
        continue;
      }
      const problem = invalidValue(definition, value);
      if (problem) errors.push({ field, message: problem, code: CrmErrorCode.InvalidCustomField });
      else next[key] = value;
    }
    for (const definition of definitions) {
      if (definition.required && (next[definition.key] === undefined || next[definition.key] === null) && (requireAll || input)) {
        errors.push({ field: `customFields.${definition.key}`, message: 'is required', code: CrmErrorCode.InvalidCustomField });
      }
    }
    return next;
  }
}

function invalidValue(definition: FieldRow, value: unknown): string | null {
  switch (definition.type) {
    case 'text':
      return typeof value === 'string' && value.length <= 1000 ? null : 'must be text of at most 1000 characters';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))
        ? null
        : 'must be a date YYYY-MM-DD';
    case 'select':
      return typeof value === 'string' && definition.options.includes(value) ? null : `must be one of ${definition.options.join(', ')}`;
  }
}
