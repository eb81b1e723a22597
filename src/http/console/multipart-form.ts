import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { RequestHandler, Response } from 'express';
import { validationError } from '../../shared/errors';

/** The file of a multipart form, still arriving: its route reads it as a stream. */
export interface Upload {
  stream: Readable;
  /** As the browser gave it; empty when the form was sent without a file chosen. */
  filename: string;
}

export function uploadOf(res: Response): Upload | undefined {
  return res.locals.upload as Upload | undefined;
}

/**
 * Reads a multipart form (busboy) up to its file and hands on at once: the fields before the file
 * become req.body, so the form token is checked as for any other form, and the file is left
 * streaming for the route (res.locals.upload), never held in memory or on disk. The form must put
 * its file input last; fields after the file are not read. Whatever the route leaves unread (a
 * refused form, an error page) is read and dropped once the answer is sent, so the browser,
 * still sending, gets it.
 */
export function multipartForm(fileField: string): RequestHandler {
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    let form: busboy.Busboy;
    try {
      form = busboy({ headers: req.headers, limits: { fields: 50, fieldSize: 16 * 1024, files: 1, parts: 60 } });
    } catch {
      return next(validationError({ file: 'The form could not be read: send it again' }));
    }
    const fields: Record<string, string | string[]> = {};
    let upload: Upload | undefined;
    let handedOn = false;
    const handOn = () => {
      if (handedOn) return;
      handedOn = true;
      req.body = fields;
      res.locals.upload = upload;
      res.on('finish', () => upload?.stream.resume());
      next();
    };
    form.on('field', (name, value) => {
      // A field named __proto__ would set the body's prototype (to an array, on its second value).
      if (name === '__proto__') return;
      const before = fields[name];
      fields[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
    });
    form.on('file', (name, stream, info) => {
      if (upload || name !== fileField) return stream.resume();
      upload = { stream, filename: info.filename ?? '' };
      handOn();
    });
    form.on('close', handOn);
    form.on('error', () => {
      const err = validationError({ file: 'The form could not be read: send it again' });
      if (upload) upload.stream.destroy(err);
      else if (!handedOn) {
        handedOn = true;
        next(err);
      }
    });
    // A browser that gives up mid-file: the route's reading fails instead of waiting for the rest.
    req.on('close', () => {
      if (!req.complete) upload?.stream.destroy(new Error('the upload was interrupted'));
    });
    req.pipe(form);
  };
}
