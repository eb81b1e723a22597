import type pg from 'pg';
import { inTransaction } from '../../src/db/transaction';

/** A connection that records the statements it is sent; `failOn` makes one of them fail. */
function recordingClient(failOn?: string): { client: pg.ClientBase; sent: string[] } {
  const sent: string[] = [];
  const client = {
    query: async (text: string) => {
      sent.push(text);
      if (text === failOn) throw new Error(`${text} failed`);
      return { rows: [], rowCount: 0 };
    },
  } as unknown as pg.ClientBase;
  return { client, sent };
}

describe('inTransaction', () => {
  test('when the work succeeds, then it is wrapped in BEGIN and COMMIT and its result returned', async () => {
    const { client, sent } = recordingClient();
    await expect(inTransaction(client, async (tx) => (await tx.query('SELECT 1'), 42))).resolves.toBe(42);
    expect(sent).toEqual(['BEGIN', 'SELECT 1', 'COMMIT']);
  });

  test('when the work fails, then the transaction is rolled back and the work\'s own error rethrown', async () => {
    const { client, sent } = recordingClient('ROLLBACK');
    await expect(inTransaction(client, async () => Promise.reject(new Error('work failed')))).rejects.toThrow('work failed');
    expect(sent).toEqual(['BEGIN', 'ROLLBACK']);
  });
});
