import { type DynamicModule, Module } from '@nestjs/common';
import { CRM_CONFIG, type CrmConfig } from './crm.config';

/**
 * Provides the service's loaded configuration as `CRM_CONFIG` to every crm module (global, so
 * the feature modules stay static classes that any module can import without a second instance).
 */
@Module({})
export class CrmConfigModule {
  static forRoot(config: CrmConfig): DynamicModule {
    return { module: CrmConfigModule, global: true, providers: [{ provide: CRM_CONFIG, useValue: config }], exports: [CRM_CONFIG] };
  }
}
