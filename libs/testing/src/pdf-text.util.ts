import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const PDF_TEXT_SCRIPT = `
const { PDFParse } = require('pdf-parse');
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', async () => {
  const parser = new PDFParse({ data: Buffer.concat(chunks) });
  const result = await parser.getText();
  await parser.destroy();
  process.stdout.write(result.text);
});`;

/**
 * The text of a PDF, read with pdf-parse in a child Node process (pdf.js loads its worker with a
 * dynamic import, which Jest's VM does not allow).
 *
 * @throws Error when the child process fails (not a PDF, pdf-parse missing).
 */
export function pdfText(bytes: Buffer): Promise<string> {
  return new Promise((done, fail) => {
    const child = execFile(
      process.execPath,
      ['-e', PDF_TEXT_SCRIPT],
      { cwd: resolve(__dirname, '../../..'), maxBuffer: 10 * 1024 * 1024 },
      (error, stdout) => (error ? fail(error) : done(stdout)),
    );
    child.stdin!.end(bytes);
  });
}
