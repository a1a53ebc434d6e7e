import { type DynamicModule, Module } from '@nestjs/common';
import { METRICS_LISTENER_OPTIONS, MetricsListener, type MetricsListenerOptions } from './metrics-listener.service';

/**
 * The internal metrics listener (`MetricsListener`) as a Nest module: it listens on
 * `options.host:options.port` when the application boots and closes with it. Import it instead
 * of registering `MetricsController` when metrics must stay off the app's own HTTP port.
 */
@Module({})
export class MetricsListenerModule {
  static forRoot(options: MetricsListenerOptions): DynamicModule {
    return {
      module: MetricsListenerModule,
      providers: [{ provide: METRICS_LISTENER_OPTIONS, useValue: options }, MetricsListener],
      exports: [MetricsListener],
    };
  }
}
