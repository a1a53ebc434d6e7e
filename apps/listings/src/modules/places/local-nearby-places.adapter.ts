import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type SqlBool } from 'kysely';
import type { DataSource } from 'typeorm';
import type { ListingsNearbyPlace } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { ListingsDb } from '../../database/listings.db';
import type { NearbyPlacesProvider } from './nearby-places.port';

/** Nearby places from the organization's own `place` table (GiST on `location`), nearest first. */
@Injectable()
export class LocalNearbyPlacesAdapter implements NearbyPlacesProvider {
  readonly name = 'local';

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async nearby(query: Parameters<NearbyPlacesProvider['nearby']>[0]): Promise<ListingsNearbyPlace[]> {
    const db = kyselyFor<ListingsDb>(this.dataSource);
    let select = db
      .with('c', (cte) =>
        cte.selectNoFrom(
          sql<string>`public.ST_SetSRID(public.ST_MakePoint(${query.longitude}::float8, ${query.latitude}::float8), 4326)::public.geography`.as(
            'g',
          ),
        ),
      )
      .selectFrom(['place as p', 'c'])
      .select([
        'p.id',
        'p.name',
        'p.category',
        sql<number>`public.ST_Y(p.location::public.geometry)`.as('latitude'),
        sql<number>`public.ST_X(p.location::public.geometry)`.as('longitude'),
        sql<number>`public.ST_Distance(p.location, c.g)`.as('distance'),
      ])
      .where('p.org_id', '=', query.orgId)
      .where(sql<SqlBool>`public.ST_DWithin(p.location, c.g, ${query.radius}::float8)`);
    if (query.categories) select = select.where('p.category', '=', (eb) => eb.fn.any(sql<string[]>`${query.categories}::text[]`));
    const rows = await select.orderBy('distance').orderBy('p.id').limit(query.limit).execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      category: row.category as ListingsNearbyPlace['category'],
      latitude: Number(row.latitude),
      longitude: Number(row.longitude),
      distanceMeters: Math.round(Number(row.distance) * 100) / 100,
      provider: this.name,
    }));
  }
}
