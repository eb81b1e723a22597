import { csvLine } from '../../src/lists/csv-cells';
import { detectColumns } from '../../src/lists/list-columns';
import { AppError } from '../../src/shared/errors';

describe('detectColumns', () => {
  test('when the header is a known export, then its format and columns are found without regard to case or spaces', () => {
    expect(detectColumns(['Email Address', 'First Name', 'Last Name', 'TAGS'], {})).toEqual({ format: 'mailchimp', email: 0, name: [1, 2] });
    expect(detectColumns(['email', 'active_subscription', 'expiry'], {})).toEqual({ format: 'substack', email: 0, name: [] });
    expect(detectColumns(['id', ' EMAIL ', 'name', 'subscribed_to_emails'], {})).toEqual({ format: 'ghost', email: 1, name: [2] });
    expect(detectColumns(['name', 'email'], {})).toEqual({ format: 'plain', email: 1, name: [0] });
  });

  test('when the operator maps columns, then the mapping wins and a missing column names its field', () => {
    expect(detectColumns(['Mail', 'Who', 'email'], { email: 'mail', name: 'WHO' })).toEqual({ format: 'mapped', email: 0, name: [1] });
    const missing = (() => {
      try {
        detectColumns(['email'], { name: 'Full name' });
      } catch (err) {
        return err;
      }
    })();
    expect(missing).toBeInstanceOf(AppError);
    expect((missing as AppError).details.fields).toEqual({ name: 'The file has no column "Full name"' });
    expect(() => detectColumns(['address'], {})).toThrow(AppError);
  });
});

describe('csvLine', () => {
  test('when cells hold quotes, commas or line breaks, then they are quoted with quotes doubled; empty cells stay empty', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 'two\nlines', null, ''])).toBe('a,"b,c","say ""hi""","two\nlines",,\r\n');
  });

  test('when a cell would run as a spreadsheet formula, then it gets a leading apostrophe', () => {
    expect(csvLine(['=1+1', '+1', '-1', '@x', '\tx', '\rx', 'a=b'])).toBe(`'=1+1,'+1,'-1,'@x,'\tx,"'\rx",a=b\r\n`);
  });
});
