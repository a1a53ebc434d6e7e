import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  DealsCommissionSubjects,
  type CommissionReportFile,
  type CommissionReportRequest,
  type CommissionReportRow,
  type CommissionReportView,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import { DealsErrorCode } from '../../deals-commission.exception';
import { IdentityDirectory } from '../identity-directory.service';
import { actorOf, scopeFor } from '../scope.util';
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
    const params: unknown[] = [actor.orgId, from, to];
    const where = ['s.org_id = $1', 's.is_current', 's.close_date BETWEEN $2::date AND $3::date'];
    if (scope === 'own') {
      if (data.agentId && data.agentId !== actor.userId) throw DomainException.forbidden();
      if (data.teamId) throw DomainException.forbidden();
      params.push(actor.userId);
      where.push(`s.agent_id = $${params.length}`);
    } else if (scope === 'team') {
      if (data.teamId && !actor.teamIds.includes(data.teamId)) throw DomainException.forbidden();
      params.push(actor.userId, actor.teamIds);
      where.push(`(s.agent_id = $${params.length - 1} OR s.team_ids && $${params.length}::uuid[])`);
    }
    if (data.agentId) {
      params.push(data.agentId);
      where.push(`s.agent_id = $${params.length}`);
    }
    if (data.teamId) {
      params.push(data.teamId);
      where.push(`$${params.length}::uuid = ANY(s.team_ids)`);
    }
    const rows = (await this.dataSource.query(
      `SELECT s.agent_id, count(*)::int AS count, sum(s.price_cents)::text AS volume, sum(s.gross_cents)::text AS gci,
         sum(s.referral_fee_cents)::text AS referral_fees, sum(s.agent_cents)::text AS agent_share,
         sum(s.brokerage_cents)::text AS brokerage_share, sum(s.fees_cents)::text AS fees
       FROM commission_statement s WHERE ${where.join(' AND ')} GROUP BY s.agent_id ORDER BY s.agent_id`,
      params,
    )) as Array<{
      agent_id: string;
      count: number;
      volume: string;
      gci: string;
      referral_fees: string;
      agent_share: string;
      brokerage_share: string;
      fees: string;
    }>;
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
