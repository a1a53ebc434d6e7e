import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  NotificationPreferencesSubjects,
  type Page,
  type PageQuery,
  type PushDeviceIdRequest,
  type PushDevicePlatform,
  type PushDeviceRegisterRequest,
  type PushDeviceView,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireUserSession } from '@keyhouse/platform/auth';
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { NotificationsDb } from '../../database/notifications.db';
import { NotificationsErrorCode } from '../../notifications.exception';

const DEVICE_COLUMNS = ['id', 'platform', 'name', 'created_at', 'updated_at'] as const;

function toDeviceView(row: {
  id: string;
  platform: string;
  name: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}): PushDeviceView {
  return {
    id: row.id,
    platform: row.platform as PushDevicePlatform,
    name: row.name,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/**
 * The caller's push devices (FCM registration tokens; issue 14): register (idempotent on the
 * token: registering a known token updates its row and moves it to the caller, since a token
 * identifies one app install and whoever signs in on it receives its pushes), list and delete
 * their own. Any signed-in user; API keys are refused `USER_SESSION_REQUIRED`. Another user's or
 * organization's device answers 404 `DEVICE_NOT_FOUND`. The token is never returned.
 */
@Injectable()
export class PushDevicesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Registers `token` for the caller.
   *
   * @throws DomainException 403 `USER_SESSION_REQUIRED`.
   */
  @RpcHandler(NotificationPreferencesSubjects.registerDevice)
  async register(envelope: RequestEnvelope<PushDeviceRegisterRequest>): Promise<PushDeviceView> {
    const actor = requireUserSession(envelope.actor);
    const data = envelope.data;
    const row = await kyselyFor<NotificationsDb>(this.dataSource)
      .insertInto('push_device')
      .values({
        id: newId(),
        org_id: actor.orgId,
        user_id: actor.userId,
        token: data.token,
        platform: data.platform,
        name: data.name ?? null,
      })
      .onConflict((conflict) =>
        conflict.constraint('push_device_token_unique').doUpdateSet((eb) => ({
          org_id: eb.ref('excluded.org_id'),
          user_id: eb.ref('excluded.user_id'),
          platform: eb.ref('excluded.platform'),
          name: eb.ref('excluded.name'),
          updated_at: sql<Date>`now()`,
        })),
      )
      .returning(DEVICE_COLUMNS)
      .executeTakeFirstOrThrow();
    return toDeviceView(row);
  }

  /**
   * The caller's devices, oldest first (keyset page).
   *
   * @throws DomainException 403 `USER_SESSION_REQUIRED`; 400 `INVALID_CURSOR`.
   */
  @RpcHandler(NotificationPreferencesSubjects.listDevices)
  async list(envelope: RequestEnvelope<PageQuery>): Promise<Page<PushDeviceView>> {
    const actor = requireUserSession(envelope.actor);
    const query = kyselyFor<NotificationsDb>(this.dataSource)
      .selectFrom('push_device')
      .select(DEVICE_COLUMNS)
      .where('org_id', '=', actor.orgId)
      .where('user_id', '=', actor.userId);
    const page = keysetPage(query, { sort: sql.ref('created_at'), id: sql.ref('id'), direction: 'asc' }, envelope.data);
    const rows = await page.query.execute();
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toDeviceView);
  }

  /**
   * Removes one of the caller's devices.
   *
   * @throws DomainException 403 `USER_SESSION_REQUIRED`; 404 `DEVICE_NOT_FOUND` (not the caller's).
   */
  @RpcHandler(NotificationPreferencesSubjects.deleteDevice)
  async remove(envelope: RequestEnvelope<PushDeviceIdRequest>): Promise<void> {
    const actor = requireUserSession(envelope.actor);
    const deleted = await kyselyFor<NotificationsDb>(this.dataSource)
      .deleteFrom('push_device')
      .where('id', '=', envelope.data.id)
      .where('org_id', '=', actor.orgId)
      .where('user_id', '=', actor.userId)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw DomainException.notFound(NotificationsErrorCode.DeviceNotFound, 'Device');
  }
}
