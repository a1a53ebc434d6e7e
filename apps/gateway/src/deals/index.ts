import type { Type } from '@nestjs/common';

/** HTTP controllers of the deals routes (transactions, offers, commission plans, commission reports, invoices); listed in `API_CONTROLLERS`. */
export const DEALS_HTTP_CONTROLLERS: Type[] = [];
