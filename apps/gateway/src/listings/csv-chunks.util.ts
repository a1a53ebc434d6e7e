/** A slice of a CSV file: the header line followed by whole records, and how many records came before it. */
export interface CsvChunk {
  csv: string;
  rowOffset: number;
  rows: number;
}

/**
 * Splits a CSV text into chunks of whole records, each repeating the header line, of at most
 * `maxBytes` characters or `maxRows` records (a single larger record gets a chunk of its own).
 * Record boundaries are line breaks outside double quotes (RFC 4180), so quoted line breaks stay
 * inside their record. It keeps each NATS request of an import under the 1 MiB message limit.
 */
export function splitCsv(text: string, maxBytes: number, maxRows: number): CsvChunk[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < body.length; i += 1) {
    const c = body.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (c === 10 && !quoted) {
      const line = body.slice(start, i).replace(/\r$/, '');
      if (line.trim() !== '') records.push(line);
      start = i + 1;
    }
  }
  const tail = body.slice(start).replace(/\r$/, '');
  if (tail.trim() !== '') records.push(tail);
  const header = records.shift();
  if (header === undefined) return [];
  const chunks: CsvChunk[] = [];
  let current: string[] = [];
  let size = header.length + 1;
  let offset = 0;
  const flush = () => {
    if (current.length === 0) return;
    chunks.push({ csv: `${header}\n${current.join('\n')}\n`, rowOffset: offset, rows: current.length });
    offset += current.length;
    current = [];
    size = header.length + 1;
  };
  for (const record of records) {
    if (current.length > 0 && (size + record.length + 1 > maxBytes || current.length >= maxRows)) flush();
    current.push(record);
    size += record.length + 1;
  }
  flush();
  return chunks;
}
