/**
 * One CSV line (RFC 4180) from cells, safe to open in a spreadsheet: a cell that a spreadsheet
 * would run as a formula (starting with = + - @, a tab or a carriage return) gets a leading
 * apostrophe (OWASP's advice against CSV injection: a reader can type "=HYPERLINK(...)" as their
 * name); a cell with a quote, comma or line break is quoted, its quotes doubled.
 */
export function csvLine(cells: readonly (string | null)[]): string {
  return cells.map((cell) => csvCell(cell ?? '')).join(',') + '\r\n';
}

function csvCell(value: string): string {
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
