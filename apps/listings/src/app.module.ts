import { type DynamicModule, Module } from '@nestjs/common';
import { SecretCipher } from '@keyhouse/platform/auth';
import { QueueModule } from '@keyhouse/platform/queue';
import { ServiceCoreModule } from '@keyhouse/platform/service';
import { LISTINGS_CONFIG, type ListingsConfig } from './config/listings.config';
import { InitialListingsSchema1763769600001 } from './database/migrations/1763769600001-initial-listings-schema';
import { ListingsClientShares1763769800001 } from './database/migrations/1763769800001-listings-client-shares';
import { ContactEventsConsumer } from './modules/engagement/contact-events.consumer';
import { ContactAccess } from './modules/engagement/contact-access.service';
import { EngagementService } from './modules/engagement/engagement.service';
import { MLS_SOURCE_POLICY, MlsHttpService } from './modules/mls/mls-http.service';
import { MlsIngestService } from './modules/mls/mls-ingest.service';
import { mlsSourcePolicy } from './modules/mls/mls-source-address.util';
import { LISTINGS_SECRET_CIPHER, MlsSourcesService } from './modules/mls/mls-sources.service';
import { LISTINGS_MLS_QUEUE, MlsSyncJob } from './modules/mls/mls-sync.job';
import { LocalNearbyPlacesAdapter } from './modules/places/local-nearby-places.adapter';
import { NEARBY_PLACES_PROVIDER } from './modules/places/nearby-places.port';
import { PlacesService } from './modules/places/places.service';
import { PropertyImportService } from './modules/import/property-import.service';
import { PropertiesService } from './modules/properties/properties.service';
import { PropertyAccess } from './modules/properties/property-access.service';
import { PropertySearchService } from './modules/properties/property-search.service';
import { PropertyWriter } from './modules/properties/property-writer.service';

export const LISTINGS_SERVICE_NAME = 'listings';

/**
 * The listings service: RESO-aligned properties, PostGIS geo search, comparables, MLS sync. NATS
 * responders are the services' own `@RpcHandler` methods, the contact events consumer an
 * `@OnEvent` provider; outbox relay and jobs; health and metrics on HEALTH_PORT.
 */
@Module({})
export class ListingsAppModule {
  static forRoot(config: ListingsConfig): DynamicModule {
    return {
      module: ListingsAppModule,
      imports: [
        ServiceCoreModule.forRoot({
          serviceName: LISTINGS_SERVICE_NAME,
          platform: config,
          database: {
            url: config.LISTINGS_DATABASE_URL,
            schema: config.LISTINGS_DATABASE_SCHEMA,
            migrations: [InitialListingsSchema1763769600001, ListingsClientShares1763769800001],
          },
          opsToken: config.OPS_TOKEN,
        }),
        QueueModule.registerQueues(LISTINGS_MLS_QUEUE),
      ],
      providers: [
        { provide: LISTINGS_CONFIG, useValue: config },
        {
          provide: LISTINGS_SECRET_CIPHER,
          useFactory: () => new SecretCipher(config.LISTINGS_ENCRYPTION_KEYS.ring, config.LISTINGS_ENCRYPTION_KEYS.activeKeyId),
        },
        PropertyAccess,
        PropertyWriter,
        PropertiesService,
        PropertySearchService,
        PropertyImportService,
        EngagementService,
        ContactAccess,
        ContactEventsConsumer,
        { provide: MLS_SOURCE_POLICY, useValue: mlsSourcePolicy(config.LISTINGS_MLS_ALLOW_PRIVATE_SOURCES) },
        MlsHttpService,
        MlsIngestService,
        MlsSourcesService,
        MlsSyncJob,
        { provide: NEARBY_PLACES_PROVIDER, useClass: LocalNearbyPlacesAdapter },
        PlacesService,
      ],
    };
  }
}
