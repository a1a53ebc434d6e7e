import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  ListingsPlacesSubjects as S,
  type ListingsNearbyRequest,
  type ListingsNearbyResponse,
  type ListingsPlacesLoadRequest,
  type ListingsPlacesLoadResponse,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { ListingsDb } from '../../database/listings.db';
import { ListingsErrorCode } from '../../listings.exception';
import { PropertyAccess } from '../properties/property-access.service';
import { NEARBY_PLACES_PROVIDER, type NearbyPlacesProvider } from './nearby-places.port';

/** Loading the organization's places (admin) and answering "what is near this listing". NATS responders of `listings.places.*`. */
@Injectable()
export class PlacesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(NEARBY_PLACES_PROVIDER) private readonly provider: NearbyPlacesProvider,
    private readonly access: PropertyAccess,
  ) {}

  /** Upserts places by (category, name case-insensitive); needs `listings:import` at org scope (403 otherwise). */
  @RpcHandler(S.load)
  async load(envelope: RequestEnvelope<ListingsPlacesLoadRequest>): Promise<ListingsPlacesLoadResponse> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    const places = envelope.data.places;
    const input = JSON.stringify(places.map((p) => ({ ...p, id: newId(), name: p.name.trim() })));
    // Raw SQL: a jsonb_to_recordset INSERT source, an expression conflict target (`lower(name)`) and
    // `xmax = 0` telling an inserted row from an updated one.
    const { rows } = await sql<{ inserted: boolean }>`
      INSERT INTO place (id, org_id, name, category, location)
      SELECT x.id, ${actor.orgId}::uuid, x.name, x.category, public.ST_SetSRID(public.ST_MakePoint(x.longitude, x.latitude), 4326)::public.geography
      FROM jsonb_to_recordset(${input}::jsonb) AS x(id uuid, name text, category text, latitude float8, longitude float8)
      ON CONFLICT (org_id, category, lower(name)) DO UPDATE SET location = excluded.location, name = excluded.name, updated_at = now()
      RETURNING (xmax = 0) AS inserted`.execute(kyselyFor<ListingsDb>(this.dataSource));
    const created = rows.filter((row) => row.inserted).length;
    return { received: places.length, created, updated: rows.length - created };
  }

  /** Places near a listing the caller may read, nearest first (empty when it has no location). @throws 404 `PROPERTY_NOT_FOUND`. */
  @RpcHandler(S.nearby)
  async nearby(envelope: RequestEnvelope<ListingsNearbyRequest>): Promise<ListingsNearbyResponse> {
    const actor = envelope.actor!;
    const visible = this.access.readCondition(actor);
    const subject = await kyselyFor<ListingsDb>(this.dataSource)
      .selectFrom('property as p')
      .select([
        sql<number | null>`public.ST_Y(p.location::public.geometry)`.as('latitude'),
        sql<number | null>`public.ST_X(p.location::public.geometry)`.as('longitude'),
      ])
      .where('p.org_id', '=', actor.orgId)
      .where('p.id', '=', envelope.data.propertyId)
      .where('p.deleted_at', 'is', null)
      .where(visible)
      .executeTakeFirst();
    if (!subject) throw DomainException.notFound(ListingsErrorCode.PropertyNotFound, 'Property');
    if (subject.latitude === null || subject.longitude === null) return { items: [] };
    const items = await this.provider.nearby({
      orgId: actor.orgId,
      latitude: Number(subject.latitude),
      longitude: Number(subject.longitude),
      radius: envelope.data.radius ?? 1500,
      categories: envelope.data.category?.length ? envelope.data.category : null,
      limit: envelope.data.limit ?? 20,
    });
    return { items };
  }
}
