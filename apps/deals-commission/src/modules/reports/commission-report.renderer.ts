import PDFDocument from 'pdfkit';
import { stringify } from 'csv-stringify/sync';
import type { CommissionReportView, OrganizationView } from '@keyhouse/contracts';

/** Cents as a decimal dollar string (`123456` → `1234.56`), exact (no floating point). */
export function dollars(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Cents as `$1,234.56` for people. */
function money(cents: number): string {
  const [whole, fraction] = dollars(cents).split('.');
  return `$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}

export const CSV_HEADER = ['agent_id', 'agent_name', 'deals', 'volume', 'gci', 'referral_fees', 'agent_share', 'brokerage_share', 'fees'];

/** The report as CSV (RFC 4180, header row, amounts in dollars with two decimals, a final `TOTAL` row). */
export function reportCsv(report: CommissionReportView): Buffer {
  const line = (row: CommissionReportView['totals'], id: string, name: string) => [
    id,
    name,
    row.count,
    dollars(row.volume),
    dollars(row.gci),
    dollars(row.referralFees),
    dollars(row.agentShare),
    dollars(row.brokerageShare),
    dollars(row.fees),
  ];
  const records = [CSV_HEADER, ...report.rows.map((row) => line(row, row.agentId, row.agentName ?? '')), line(report.totals, 'TOTAL', '')];
  return Buffer.from(stringify(records), 'utf8');
}

const HEX = /^#[0-9a-fA-F]{6}$/;

/**
 * The report as a PDF: the organization's name (branding display name) and colours in the header, a
 * table with one row per agent and a totals row, the period. Built with pdfkit's standard fonts.
 */
export async function reportPdf(
  report: CommissionReportView,
  organization: Pick<OrganizationView, 'name' | 'branding'> | null,
): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'LETTER', layout: 'landscape', margin: 36, info: { Title: 'Commission report' } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const primary =
    organization?.branding?.primaryColor && HEX.test(organization.branding.primaryColor) ? organization.branding.primaryColor : '#1f3a5f';
  const secondary =
    organization?.branding?.secondaryColor && HEX.test(organization.branding.secondaryColor)
      ? organization.branding.secondaryColor
      : '#e8eef5';
  const title = organization?.branding?.displayName || organization?.name || 'Commission report';
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;

  doc.rect(0, 0, doc.page.width, 64).fill(primary);
  doc.fillColor('#ffffff').font('Helvetica-Bold').fontSize(18).text(title, left, 20, { width });
  doc.fillColor('#000000').font('Helvetica-Bold').fontSize(14).text('Commission report', left, 84);
  doc.font('Helvetica').fontSize(10).text(`Closed ${report.from} to ${report.to}`, left, 104);

  const columns = [
    { label: 'Agent', width: 0.22, value: (r: Row) => r.name },
    { label: 'Deals', width: 0.06, value: (r: Row) => String(r.count) },
    { label: 'Volume', width: 0.13, value: (r: Row) => money(r.volume) },
    { label: 'GCI', width: 0.11, value: (r: Row) => money(r.gci) },
    { label: 'Referral fees', width: 0.11, value: (r: Row) => money(r.referralFees) },
    { label: 'Agent share', width: 0.13, value: (r: Row) => money(r.agentShare) },
    { label: 'Brokerage share', width: 0.13, value: (r: Row) => money(r.brokerageShare) },
    { label: 'Fees', width: 0.11, value: (r: Row) => money(r.fees) },
  ];
  type Row = CommissionReportView['totals'] & { name: string };
  const rowHeight = 18;
  let y = 128;
  const drawRow = (row: Row | null, header: boolean, shade: boolean) => {
    if (y + rowHeight > doc.page.height - doc.page.margins.bottom) {
      doc.addPage();
      y = doc.page.margins.top;
    }
    if (header || shade) doc.rect(left, y, width, rowHeight).fill(header ? primary : secondary);
    let x = left;
    doc
      .font(header || row?.name === 'Total' ? 'Helvetica-Bold' : 'Helvetica')
      .fontSize(9)
      .fillColor(header ? '#ffffff' : '#000000');
    for (const [index, column] of columns.entries()) {
      const w = column.width * width;
      doc.text(header ? column.label : column.value(row!), x + 4, y + 5, {
        width: w - 8,
        align: index === 0 ? 'left' : 'right',
        lineBreak: false,
        ellipsis: true,
      });
      x += w;
    }
    y += rowHeight;
  };
  drawRow(null, true, false);
  report.rows.forEach((row, index) => drawRow({ ...row, name: row.agentName ?? row.agentId }, false, index % 2 === 1));
  doc
    .moveTo(left, y)
    .lineTo(left + width, y)
    .strokeColor(primary)
    .stroke();
  drawRow({ ...report.totals, name: 'Total' }, false, false);
  doc.end();
  return done;
}
