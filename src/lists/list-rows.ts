import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { z } from 'zod';
import { validationError } from '../shared/errors';
import { emailField, nameField } from '../shared/reader-fields';
import { detectColumns, type ListFormat } from './list-columns';

/** A row as a spreadsheet numbers it: the header is row 1, the first reader row 2. */
export interface ListRow {
  row: number;
  email: string;
  name: string | null;
}

export interface InvalidRow {
  row: number;
  field: 'email' | 'name';
  reason: string;
}

export interface ReadList {
  format: ListFormat;
  /** Reader rows in the file (the header and empty lines not counted). */
  rows: number;
  /** Valid rows, each address once (the first row that has it), normalised as a signup's. */
  valid: ListRow[];
  invalid: InvalidRow[];
  /** Valid rows whose address an earlier row already had. */
  duplicates: number;
}

/** A reader row is held to the rules of a signup (the same fields, not a copy of them). */
const rowSchema = z.object({ email: emailField, name: nameField });

/**
 * Reads an imported CSV file as it streams in (csv-parse; a UTF-8 BOM, as spreadsheets write, is
 * dropped), finds its columns from the header, and checks every row. Only the valid rows' address
 * and name are kept, so memory follows the readers, not the width of the export.
 */
export async function readList(file: Readable, mapping: { email?: string; name?: string }): Promise<ReadList> {
  const parser = file.pipe(parse({ bom: true, skip_empty_lines: true, relax_column_count: true }));
  file.on('error', (err) => parser.destroy(err));
  const list: ReadList = { format: 'plain', rows: 0, valid: [], invalid: [], duplicates: 0 };
  const seen = new Set<string>();
  let columns: ReturnType<typeof detectColumns> | undefined;
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row += 1;
      if (!columns) {
        columns = detectColumns(record, mapping);
        list.format = columns.format;
        continue;
      }
      list.rows += 1;
      const name = columns.name.map((i) => record[i] ?? '').filter((part) => part.trim() !== '').join(' ');
      const parsed = rowSchema.safeParse({ email: record[columns.email] ?? '', name });
      if (!parsed.success) {
        const fields = new Set<string>();
        for (const issue of parsed.error.issues) {
          const field = issue.path[0] === 'name' ? 'name' : 'email';
          if (!fields.has(field)) list.invalid.push({ row, field, reason: issue.message });
          fields.add(field);
        }
        continue;
      }
      if (seen.has(parsed.data.email)) {
        list.duplicates += 1;
        continue;
      }
      seen.add(parsed.data.email);
      list.valid.push({ row, email: parsed.data.email, name: parsed.data.name ?? null });
    }
  } catch (err) {
    if (err instanceof CsvError) throw validationError({ body: `The file is not valid CSV: ${err.message}` });
    throw err;
  }
  if (!columns) throw validationError({ body: 'The file is empty: send a CSV file with a header row' });
  if (list.rows === 0) throw validationError({ body: 'The file has a header but no rows' });
  return list;
}
