import { Controller } from '@nestjs/common';
import {
  ListingsPropertySubjects as S,
  type ListingsImportChunkRequest,
  type PropertyComparablesRequest,
  type PropertyCreateRequest,
  type PropertyListRequest,
  type PropertyPolygonSearchRequest,
  type PropertyRadiusSearchRequest,
  type PropertyUpdateRequest,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { PropertyImportService } from '../import/property-import.service';
import { PropertiesService } from './properties.service';
import { PropertySearchService } from './property-search.service';

/** NATS responders for properties, geo search, comparables and file import. */
@Controller()
export class PropertiesRpcController {
  constructor(
    private readonly properties: PropertiesService,
    private readonly search: PropertySearchService,
    private readonly imports: PropertyImportService,
  ) {}

  @RpcHandler(S.create)
  create(envelope: RequestEnvelope<PropertyCreateRequest>) {
    return this.properties.create(envelope);
  }

  @RpcHandler(S.list)
  list(envelope: RequestEnvelope<PropertyListRequest>) {
    return this.search.list(envelope);
  }

  @RpcHandler(S.get)
  get(envelope: RequestEnvelope<{ id: string }>) {
    return this.properties.get(envelope);
  }

  @RpcHandler(S.update)
  update(envelope: RequestEnvelope<PropertyUpdateRequest>) {
    return this.properties.update(envelope);
  }

  @RpcHandler(S.delete)
  async delete(envelope: RequestEnvelope<{ id: string }>) {
    await this.properties.delete(envelope);
    return {};
  }

  @RpcHandler(S.radiusSearch)
  radiusSearch(envelope: RequestEnvelope<PropertyRadiusSearchRequest>) {
    return this.search.radiusSearch(envelope);
  }

  @RpcHandler(S.polygonSearch)
  polygonSearch(envelope: RequestEnvelope<PropertyPolygonSearchRequest>) {
    return this.search.polygonSearch(envelope);
  }

  @RpcHandler(S.comparables)
  comparables(envelope: RequestEnvelope<PropertyComparablesRequest>) {
    return this.search.comparables(envelope);
  }

  @RpcHandler(S.importChunk)
  importChunk(envelope: RequestEnvelope<ListingsImportChunkRequest>) {
    return this.imports.importChunk(envelope);
  }
}
