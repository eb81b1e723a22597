import express from 'express';
import request from 'supertest';
import { multipartForm, uploadOf } from '../../src/http/console/multipart-form';

/** The fields a multipart form hands on as req.body, and the file left streaming. */
function app() {
  const a = express();
  a.post('/form', multipartForm('file'), (req, res) => {
    const body = req.body as Record<string, unknown>;
    res.json({ plainObject: Object.getPrototypeOf(body) === Object.prototype, fields: { ...body }, file: uploadOf(res)?.filename ?? null });
  });
  return a;
}

describe('multipart forms', () => {
  test('when fields come before the file, then they are the body (repeated ones as a list) and the file is handed on', async () => {
    const res = await request(app()).post('/form').field('a', '1').field('n', 'x').field('n', 'y').attach('file', Buffer.from('email\n'), 'list.csv');
    expect(res.body).toEqual({ plainObject: true, fields: { a: '1', n: ['x', 'y'] }, file: 'list.csv' });
  });

  test('when a field is named __proto__, then it is dropped: the body stays a plain object', async () => {
    const res = await request(app()).post('/form').field('__proto__', 'x').field('__proto__', 'y').field('a', '1').attach('file', Buffer.from('email\n'), 'list.csv');
    expect(res.body).toEqual({ plainObject: true, fields: { a: '1' }, file: 'list.csv' });
  });
});
