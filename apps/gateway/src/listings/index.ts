import type { Type } from '@nestjs/common';

/** HTTP controllers of the listings routes (properties, geo search, comparables, MLS webhook, saved searches); listed in `API_CONTROLLERS`. */
export const LISTINGS_HTTP_CONTROLLERS: Type[] = [];
