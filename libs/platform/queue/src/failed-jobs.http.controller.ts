import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { DomainException, PlatformErrorCode } from '@keyhouse/platform/messaging';
import { safeEqual } from '@keyhouse/util';
import { FailedJobsService } from './failed-jobs.service';

export const OPS_TOKEN = Symbol('OPS_TOKEN');

/**
 * Operators' routes on a service's own HTTP port (not routed by the gateway): they need
 * `Authorization: Bearer <OPS_TOKEN>`, compared in constant time. Without a configured token the
 * routes answer 404, as if absent.
 */
@Injectable()
export class OpsTokenGuard implements CanActivate {
  constructor(@Inject(OPS_TOKEN) private readonly token: string | undefined) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.token) throw new DomainException('not_found', PlatformErrorCode.NotFound, 'No such resource');
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers.authorization;
    if (!header || !safeEqual(header, `Bearer ${this.token}`)) {
      throw new DomainException('unauthenticated', PlatformErrorCode.Unauthenticated, 'An operator token is required');
    }
    return true;
  }
}

/**
 * The failed-jobs view for operators: `GET /internal/jobs/failed?queue=&limit=&cursor=` (newest
 * failure first, data redacted), `POST /internal/jobs/:queue/:id/retry`, and
 * `GET /internal/jobs/queues`.
 */
@Controller('internal/jobs')
@UseGuards(OpsTokenGuard)
export class FailedJobsHttpController {
  constructor(private readonly failedJobs: FailedJobsService) {}

  @Get('queues')
  queues() {
    return { queues: this.failedJobs.queues() };
  }

  @Get('failed')
  list(@Query('queue') queue: string, @Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    return this.failedJobs.list(queue, { limit: limit === undefined ? undefined : Number(limit), cursor });
  }

  @Post(':queue/:id/retry')
  @HttpCode(204)
  async retry(@Param('queue') queue: string, @Param('id') id: string): Promise<void> {
    await this.failedJobs.retry(queue, id);
  }
}
