import { RealtimeFanoutService } from './realtime-fanout.service';
import { RealtimeSocketsService } from './realtime-sockets.service';

export { REALTIME_PATH } from './realtime.constant';
export { RealtimeFanoutService, RealtimeSocketsService };

/** Providers of the realtime channel (Socket.IO endpoint `/v1/realtime` and its NATS fan-out), listed in the gateway's module. */
export const REALTIME_PROVIDERS = [RealtimeSocketsService, RealtimeFanoutService];
