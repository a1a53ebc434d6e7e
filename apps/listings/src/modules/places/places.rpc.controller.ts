import { Controller } from '@nestjs/common';
import { ListingsPlacesSubjects as S, type ListingsNearbyRequest, type ListingsPlacesLoadRequest, type RequestEnvelope } from '@keyhouse/contracts';
import { RpcHandler } from '@keyhouse/platform/messaging';
import { PlacesService } from './places.service';

/** NATS responders for places and nearby search. */
@Controller()
export class PlacesRpcController {
  constructor(private readonly places: PlacesService) {}

  @RpcHandler(S.load)
  load(envelope: RequestEnvelope<ListingsPlacesLoadRequest>) {
    return this.places.load(envelope);
  }

  @RpcHandler(S.nearby)
  nearby(envelope: RequestEnvelope<ListingsNearbyRequest>) {
    return this.places.nearby(envelope);
  }
}
