import type pg from 'pg';
import { Erasure } from '../privacy/erasure';
import { ErasedAddresses } from '../privacy/erased-addresses';
import { ReaderDataExport } from '../privacy/reader-data';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { ListImport } from './list-import';
import { SubscriberDirectory } from './subscriber-directory';
import { SubscriberExport } from './subscriber-export';
import { SubscriberLookup } from './subscriber-lookup';
import { Suppressions } from './suppressions';

/**
 * Builds the operators' subscriber tools (bring a list in, take it out, find a reader, page
 * through them, suppress an address by hand, answer privacy requests); called by main.ts. Each operation takes the actor's label for its log line;
 * the routes record the audit entry.
 */
export function createSubscriberAdmin(deps: {
  pool: pg.Pool;
  erasedAddresses: ErasedAddresses;
  mailRequests: { wake(): void };
  clock: Clock;
  logger: Logger;
}) {
  return {
    imports: new ListImport(deps),
    exports: new SubscriberExport(deps),
    lookup: new SubscriberLookup(deps),
    directory: new SubscriberDirectory(deps),
    suppressions: new Suppressions(deps),
    readerData: new ReaderDataExport(deps),
    erasure: new Erasure(deps),
  };
}

export type SubscriberAdmin = ReturnType<typeof createSubscriberAdmin>;
