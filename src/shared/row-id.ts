/**
 * The largest id a row can have: ids are PostgreSQL `integer`s. A larger number from outside (a
 * link, a cursor, a path) cannot name one of our rows, and sent to the database it would fail as an
 * overflow (a 500) instead of answering "no such thing".
 */
export const MAX_ROW_ID = 2_147_483_647;
