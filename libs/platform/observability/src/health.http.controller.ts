import { Controller, Get, Inject, type DynamicModule, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { withTimeout } from '@keyhouse/util';

/**
 * One dependency check. `probe` resolves with details when healthy and rejects (or returns
 * `{ healthy: false }`) when not. Checks marked `liveness` also decide `/health/live`: only those
 * whose failure a restart can cure (a stuck Kafka consumer, a dead event loop), never a database
 * that is merely down.
 */
export interface HealthCheckDefinition {
  name: string;
  liveness?: boolean;
  probe: () => Promise<{ healthy: boolean; details?: Record<string, unknown> }>;
}

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(HEALTH_CHECKS) private readonly checks: HealthCheckDefinition[],
  ) {}

  /** Liveness: the process runs and its liveness checks pass. 200 or 503 with a terminus body. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check(this.checks.filter((c) => c.liveness).map((c) => () => this.run(c)));
  }

  /** Readiness: every dependency of this service answers. 200 or 503 with a terminus body. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(this.checks.map((c) => () => this.run(c)));
  }

  private async run(check: HealthCheckDefinition): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(check.name);
    try {
      const result = await withTimeout(check.probe(), 2000);
      return result.healthy ? session.up(result.details ?? {}) : session.down(result.details ?? {});
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}

/** `/health/live` and `/health/ready` with the checks an app provides under `HEALTH_CHECKS`. */
@Module({})
export class HealthModule {
  static forRoot(checks: {
    inject?: Array<string | symbol | (abstract new (...args: never[]) => unknown)>;
    useFactory: (...deps: never[]) => HealthCheckDefinition[];
  }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [{ provide: HEALTH_CHECKS, inject: checks.inject ?? [], useFactory: checks.useFactory }],
    };
  }
}
