import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
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
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
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
    const rows = (await this.dataSource.query(
      `INSERT INTO place (id, org_id, name, category, location)
       SELECT x.id, $1, x.name, x.category, public.ST_SetSRID(public.ST_MakePoint(x.longitude, x.latitude), 4326)::public.geography
       FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, name text, category text, latitude float8, longitude float8)
       ON CONFLICT (org_id, category, lower(name)) DO UPDATE SET location = excluded.location, name = excluded.name, updated_at = now()
       RETURNING (xmax = 0) AS inserted`,
      [actor.orgId, JSON.stringify(places.map((p) => ({ ...p, id: newId(), name: p.name.trim() })))],
    )) as Array<{ inserted: boolean }>;
    const created = rows.filter((row) => row.inserted).length;
    return { received: places.length, created, updated: rows.length - created };
  }

  /** Places near a listing the caller may read, nearest first (empty when it has no location). @throws 404 `PROPERTY_NOT_FOUND`. */
  @RpcHandler(S.nearby)
  async nearby(envelope: RequestEnvelope<ListingsNearbyRequest>): Promise<ListingsNearbyResponse> {
    const actor = envelope.actor!;
    const params: unknown[] = [actor.orgId, envelope.data.propertyId];
    const visible = this.access.readCondition(actor, params);
    const [subject] = (await this.dataSource.query(
      `SELECT public.ST_Y(p.location::public.geometry) AS latitude, public.ST_X(p.location::public.geometry) AS longitude
       FROM property p WHERE p.org_id = $1 AND p.id = $2 AND p.deleted_at IS NULL AND ${visible}`,
      params,
    )) as Array<{ latitude: number | null; longitude: number | null }>;
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
