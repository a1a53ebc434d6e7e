import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ListingsNearbyPlace } from '@keyhouse/contracts';
import type { NearbyPlacesProvider } from './nearby-places.port';

/** Nearby places from the organization's own `place` table (GiST on `location`), nearest first. */
@Injectable()
export class LocalNearbyPlacesAdapter implements NearbyPlacesProvider {
  readonly name = 'local';

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async nearby(query: Parameters<NearbyPlacesProvider['nearby']>[0]): Promise<ListingsNearbyPlace[]> {
    const rows = (await this.dataSource.query(
      `WITH c AS (SELECT public.ST_SetSRID(public.ST_MakePoint($2::float8, $3::float8), 4326)::public.geography AS g)
       SELECT p.id, p.name, p.category, public.ST_Y(p.location::public.geometry) AS latitude, public.ST_X(p.location::public.geometry) AS longitude,
              public.ST_Distance(p.location, c.g) AS distance
       FROM place p, c
       WHERE p.org_id = $1 AND public.ST_DWithin(p.location, c.g, $4::float8) AND ($5::text[] IS NULL OR p.category = ANY($5::text[]))
       ORDER BY distance, p.id LIMIT $6`,
      [query.orgId, query.longitude, query.latitude, query.radius, query.categories, query.limit],
    )) as Array<{
      id: string;
      name: string;
      category: ListingsNearbyPlace['category'];
      latitude: number;
      longitude: number;
      distance: number;
    }>;
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      category: row.category,
      latitude: Number(row.latitude),
      longitude: Number(row.longitude),
      distanceMeters: Math.round(Number(row.distance) * 100) / 100,
      provider: this.name,
    }));
  }
}
