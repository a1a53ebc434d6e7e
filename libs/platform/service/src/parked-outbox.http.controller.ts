import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { DomainException, OutboxRelay, PlatformErrorCode } from '@keyhouse/platform/messaging';
import { OpsTokenGuard } from '@keyhouse/platform/queue';
import { isUuid } from '@keyhouse/util';

/**
 * Operators' view of parked outbox rows (events Kafka refused `maxAttempts` times), on the
 * service's own port behind `OPS_TOKEN` like the failed-jobs view:
 * `GET /internal/outbox/parked?limit=&after=` (oldest first, `after` = the last row's `seq`) and
 * `POST /internal/outbox/parked/:id/requeue` (back in the relay's queue, attempts reset; 404 when
 * no parked row has that event id).
 */
@Controller('internal/outbox/parked')
@UseGuards(OpsTokenGuard)
export class ParkedOutboxHttpController {
  constructor(private readonly relay: OutboxRelay) {}

  @Get()
  async list(@Query('limit') limit?: string, @Query('after') after?: string) {
    const size = limit === undefined ? 50 : Number(limit);
    const errors = [];
    if (!Number.isInteger(size) || size < 1 || size > 500) errors.push({ field: 'limit', message: 'must be an integer from 1 to 500' });
    if (after !== undefined && !/^\d{1,19}$/.test(after)) errors.push({ field: 'after', message: 'must be the seq of a parked row' });
    if (errors.length > 0) throw DomainException.validation(errors);
    const items = await this.relay.parkedRows(size, after);
    return { items, nextAfter: items.length === size ? items[items.length - 1].seq : null };
  }

  @Post(':id/requeue')
  @HttpCode(204)
  async requeue(@Param('id') id: string): Promise<void> {
    if (!isUuid(id) || !(await this.relay.requeue(id)))
      throw new DomainException('not_found', PlatformErrorCode.NotFound, 'No parked outbox event has this id');
  }
}
