/** The bench's list files: a Mailchimp audience export's 23 columns, one reader per row. */
export const MAILCHIMP_HEADER =
  'Email Address,First Name,Last Name,Address,Phone Number,Birthday,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS';

export function mailchimpFile(rows: number): string {
  const lines = [MAILCHIMP_HEADER];
  for (let i = 1; i <= rows; i++) {
    lines.push(
      `Reader.${i}@Example.org,Reader,Number ${i},"${i} Long Street, Testville",,01/01,2,2025-03-01 09:12:44,203.0.113.7,2025-03-01 09:13:02,203.0.113.7,,,,,,GB,,2025-03-01 09:13:02,${i},e${i},,"""Readers"""`,
    );
  }
  return lines.join('\n') + '\n';
}
