import { Router, type Response } from 'express';
import type { AuditedLists, ResolvedImport } from '../../lists/audited-lists';
import { REPORT_LIMIT } from '../../lists/list-import';
import type { NewsletterRepository } from '../../newsletters/newsletter-repository';
import { AppError } from '../../shared/errors';
import { actorIn } from '../admin-auth';
import { sendCsv } from '../csv-download';
import type { Pages } from '../pages';
import { sizeLimited } from '../upload-limit';
import { sendConsolePage } from './console-pages';
import { uploadOf } from './multipart-form';

/** The import form's values as typed, to show them again (a browser cannot keep a chosen file). */
interface ImportValues {
  newsletters: string[];
  status: string;
  consent: string;
  email: string;
  name: string;
  skipInvalid: boolean;
}

const STATUS_OF_ERROR = { VALIDATION: 400, TOO_LARGE: 413, CONFLICT: 409 } as const;

/**
 * Import & export (admins only: both hand over or bring in readers' personal data). The import
 * form is multipart (multipart-form.ts reads its fields, then the file streams into the import);
 * the rules, the report and the audit entry are the admin API's (AuditedLists). Without scripts
 * the form posts and the report page answers; console-import.js adds the column choice from the
 * file's header and an upload progress bar. The export is a GET: it changes nothing, and is audited.
 */
export function importRouter(deps: {
  lists: AuditedLists;
  newsletters: Pick<NewsletterRepository, 'active' | 'all'>;
  pages: Pages;
  /** LIST_IMPORT_MAX_MB, as for the API. */
  maxImportMb: number;
}): Router {
  const router = Router();
  const { lists, pages } = deps;

  const importPage = async (res: Response, extra: { values?: ImportValues; errors?: Record<string, string>; exportErrors?: Record<string, string>; report?: object } = {}, status = 200) => {
    const [active, all] = await Promise.all([deps.newsletters.active(), deps.newsletters.all()]);
    sendConsolePage(
      pages,
      res,
      'import',
      { active, all, maxMb: deps.maxImportMb, reportLimit: REPORT_LIMIT, values: emptyValues(), errors: {}, exportErrors: {}, ...extra },
      status,
    );
  };

  router.get('/admin/import', async (_req, res) => {
    await importPage(res);
  });

  router.post('/admin/import', async (req, res) => {
    const values = valuesOf(req.body);
    const upload = uploadOf(res);
    const errors: Record<string, string> = {};
    let options: ResolvedImport | undefined;
    try {
      options = await lists.importOptions(requestOf(values));
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION') throw err;
      Object.assign(errors, err.details.fields);
    }
    if (!upload?.filename) errors.file = 'Choose the CSV file to import';
    if (!options || !upload?.filename) return importPage(res, { values, errors }, 400);
    try {
      const report = await lists.import(actorIn(res), sizeLimited(upload.stream, deps.maxImportMb), options);
      if (report.written) {
        return sendConsolePage(pages, res, 'import-report', { report, reportLimit: REPORT_LIMIT, slugs: options.slugs, status: options.status });
      }
      // Invalid rows and no "skip invalid rows": nothing written; the form again, to tick it.
      return importPage(res, { values, report }, 422);
    } catch (err) {
      if (!(err instanceof AppError) || !(err.code in STATUS_OF_ERROR)) throw err;
      const fields: Record<string, string> = err.code === 'VALIDATION' ? { ...err.details.fields } : { [err.code === 'CONFLICT' ? 'newsletters' : 'file']: err.message };
      // What the file itself got wrong (empty, not CSV) is said next to the file input.
      if (fields.body !== undefined) {
        fields.file = fields.body;
        delete fields.body;
      }
      return importPage(res, { values, errors: fields }, STATUS_OF_ERROR[err.code as keyof typeof STATUS_OF_ERROR]);
    }
  });

  router.get('/admin/export.csv', async (req, res) => {
    // The form's "any" choices come as empty values: no filter.
    const query = Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== ''));
    let lines: AsyncGenerator<string>;
    try {
      lines = await lists.export(actorIn(res), query);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION') throw err;
      return importPage(res, { exportErrors: err.details.fields ?? {} }, 400);
    }
    await sendCsv(res, lines, 'subscribers.csv');
  });

  return router;
}

function emptyValues(): ImportValues {
  return { newsletters: [], status: 'confirmed', consent: '', email: '', name: '', skipInvalid: false };
}

function valuesOf(body: Record<string, unknown> | undefined): ImportValues {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const chosen = body?.newsletters;
  return {
    newsletters: (Array.isArray(chosen) ? chosen : chosen === undefined ? [] : [chosen]).map(String),
    status: text(body?.status),
    consent: text(body?.consent),
    email: text(body?.email),
    name: text(body?.name),
    skipInvalid: body?.skipInvalid === 'true',
  };
}

/** The form as the import's request: an empty column means "detect it from the header". */
function requestOf(values: ImportValues): Record<string, unknown> {
  return {
    newsletters: values.newsletters,
    status: values.status || undefined,
    consent: values.consent,
    email: values.email.trim() || undefined,
    name: values.name.trim() || undefined,
    skipInvalid: values.skipInvalid ? 'true' : undefined,
  };
}
