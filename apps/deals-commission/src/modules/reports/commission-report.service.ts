import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  DealsCommissionSubjects,
  type CommissionReportFile,
  type CommissionReportRequest,
  type CommissionReportRow,
  type CommissionReportView,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import { DealsErrorCode } from '../../deals-commission.exception';
import { IdentityDirectory } from '../identity-directory.service';
import { actorOf, scopeFor, uuid, uuids } from '../scope.util';
import { reportCsv, reportPdf } from './commission-report.renderer';

/** Largest report file carried over NATS (base64 grows by 4/3; the server limit is 1 MiB). */
export const REPORT_FILE_MAX_BYTES = 700 * 1024;
/** Longest period of one report, in days. */
export const REPORT_MAX_DAYS = 366 * 5;

/** First and last day (inclusive, `YYYY-MM-DD`) of a report: `month` or `from`/`to`; 400 `INVALID_PERIOD`. */
export function reportPeriod(
  request: Pick<CommissionReportRequest, 'month' | 'from' | 'to'>,
  today = new Date(),
): { from: string; to: string } {
  if (request.month) {
    const [year, month] = request.month.split('-').map(Number);
    const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
    return { from: `${request.month}-01`, to: `${request.month}-${String(last).padStart(2, '0')}` };
  }
  const from = request.from ?? `${today.getUTCFullYear()}-01-01`;
  const to = request.to ?? today.toISOString().slice(0, 10);
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
  if (!(days >= 0) || days > REPORT_MAX_DAYS) {
    throw new DomainException('validation', DealsErrorCode.InvalidPeriod, 'The period is empty or too long', [
      { field: 'to', message: `must be on or after from, at most ${REPORT_MAX_DAYS} days later` },
    ]);
  }
  return { from, to };
}

/**
 * `GET /v1/reports/commissions`: closed deals' current commission statements per agent in a
 * period (by close date): count, volume (close prices), GCI, referral fees, agent and brokerage
 * shares, fees; totals are the sums of the same statements. Scope of `reports:read`: `own` = the
 * caller's deals only (another `agentId` is 403), `team` = deals of the caller's teams (`teamId`
 * must be one of them), `org` = all. As JSON, CSV or PDF (bytes in base64, at most 700 KiB).
 */
@Injectable()
export class CommissionReportService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly identity: IdentityDirectory,
  ) {}

  /** The report as JSON, or a CSV / PDF file in base64: 400 `INVALID_PERIOD`, 403 for an agent or team out of scope, 413 `REPORT_TOO_LARGE`. */
  @RpcHandler(DealsCommissionSubjects.report)
  async report(envelope: RequestEnvelope<CommissionReportRequest>): Promise<CommissionReportView | CommissionReportFile> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'reports:read');
    const data = envelope.data;
    const { from, to } = reportPeriod(data);
    let query = kyselyFor<DealsCommissionDb>(this.dataSource)
      .selectFrom('commission_statement as s')
      .select((eb) => [
        's.agent_id',
        eb.cast<number>(eb.fn.countAll(), 'integer').as('count'),
        eb.cast<string>(eb.fn.sum('s.price_cents'), 'text').as('volume'),
        eb.cast<string>(eb.fn.sum('s.gross_cents'), 'text').as('gci'),
        eb.cast<string>(eb.fn.sum('s.referral_fee_cents'), 'text').as('referral_fees'),
        eb.cast<string>(eb.fn.sum('s.agent_cents'), 'text').as('agent_share'),
        eb.cast<string>(eb.fn.sum('s.brokerage_cents'), 'text').as('brokerage_share'),
        eb.cast<string>(eb.fn.sum('s.fees_cents'), 'text').as('fees'),
      ])
      .where('s.org_id', '=', actor.orgId)
      .where((eb) => eb.ref('s.is_current'))
      .where((eb) => eb.between('s.close_date', sql<Date>`${from}::date`, sql<Date>`${to}::date`));
    if (scope === 'own') {
      if (data.agentId && data.agentId !== actor.userId) throw DomainException.forbidden();
      if (data.teamId) throw DomainException.forbidden();
      query = query.where('s.agent_id', '=', actor.userId);
    } else if (scope === 'team') {
      if (data.teamId && !actor.teamIds.includes(data.teamId)) throw DomainException.forbidden();
      query = query.where((eb) => eb.or([eb('s.agent_id', '=', actor.userId), eb('s.team_ids', '&&', uuids(actor.teamIds))]));
    }
    if (data.agentId) query = query.where('s.agent_id', '=', data.agentId);
    if (data.teamId) {
      const teamId = data.teamId;
      query = query.where((eb) => eb(uuid(teamId), '=', eb.fn.any('s.team_ids')));
    }
    const rows = await query.groupBy('s.agent_id').orderBy('s.agent_id').execute();
    const names = rows.length ? await this.identity.userNames(envelope) : new Map<string, string>();
    const reportRows: CommissionReportRow[] = rows.map((row) => ({
      agentId: row.agent_id,
      agentName: names.get(row.agent_id) ?? null,
      count: row.count,
      volume: Number(row.volume),
      gci: Number(row.gci),
      referralFees: Number(row.referral_fees),
      agentShare: Number(row.agent_share),
      brokerageShare: Number(row.brokerage_share),
      fees: Number(row.fees),
    }));
    const sum = (key: keyof CommissionReportView['totals']) => reportRows.reduce((total, row) => total + row[key], 0);
    const report: CommissionReportView = {
      from,
      to,
      rows: reportRows,
      totals: {
        count: sum('count'),
        volume: sum('volume'),
        gci: sum('gci'),
        referralFees: sum('referralFees'),
        agentShare: sum('agentShare'),
        brokerageShare: sum('brokerageShare'),
        fees: sum('fees'),
      },
    };
    if (!data.format || data.format === 'json') return report;
    const name = `commissions-${from}-to-${to}`;
    const file =
      data.format === 'csv'
        ? { contentType: 'text/csv; charset=utf-8', filename: `${name}.csv`, bytes: reportCsv(report) }
        : {
            contentType: 'application/pdf',
            filename: `${name}.pdf`,
            bytes: await reportPdf(report, await this.identity.organization(envelope)),
          };
    if (file.bytes.length > REPORT_FILE_MAX_BYTES) {
      throw new DomainException(
        'payload_too_large',
        DealsErrorCode.ReportTooLarge,
        'The report is too large; narrow the period, team or agent',
      );
    }
    return { contentType: file.contentType, filename: file.filename, base64: file.bytes.toString('base64') };
  }
}
