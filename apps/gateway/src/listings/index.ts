import type { Type } from '@nestjs/common';
import { ContactListingsHttpController, PropertyEngagementHttpController, SavedSearchesHttpController } from './engagement.http.controller';
import { MlsSourcesHttpController, MlsWebhookHttpController } from './mls.http.controller';
import { PlacesHttpController } from './places.http.controller';
import { GeoHttpController, PropertiesHttpController } from './properties.http.controller';

/** HTTP controllers of the listings routes (properties, geo search, comparables, MLS webhook, saved searches); listed in `API_CONTROLLERS`. */
export const LISTINGS_HTTP_CONTROLLERS: Type[] = [
  PropertiesHttpController,
  GeoHttpController,
  PropertyEngagementHttpController,
  ContactListingsHttpController,
  SavedSearchesHttpController,
  MlsSourcesHttpController,
  MlsWebhookHttpController,
  PlacesHttpController,
];
