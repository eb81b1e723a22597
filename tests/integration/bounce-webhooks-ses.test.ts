import request from 'supertest';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { FakeSnsHost, sesBounce, sesComplaint, signSns, snsNotification, TOPIC_ARN, type SnsFields } from '../helpers/sns-fixtures';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';

describe('Amazon SES bounce webhook (through SNS)', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  let sns: FakeSnsHost;
  beforeAll(async () => {
    sns = await new FakeSnsHost().start();
    app = await startTestBulletin({ ...QUIET_SCHEDULES, BOUNCE_SES_TOPIC_ARNS: TOPIC_ARN }, { httpsGet: sns.httpsGet });
    fx = new DigestFixtures(app.db.url);
  });
  afterAll(async () => {
    await fx.close();
    await app.stop();
    await sns.stop();
  });

  // SNS posts its JSON as text/plain.
  const post = (fields: SnsFields | string) =>
    request(app.url)
      .post('/webhooks/bounces/ses')
      .set('Content-Type', 'text/plain; charset=UTF-8')
      .set('x-amz-sns-message-type', typeof fields === 'string' ? 'Notification' : fields.Type ?? '')
      .send(typeof fields === 'string' ? fields : JSON.stringify(fields));
  const suppressed = async (id: number) => (await fx.pool.query(`SELECT suppressed_at FROM subscribers WHERE id = $1`, [id])).rows[0].suppressed_at;
  const reports = async () => (await fx.pool.query(`SELECT count(*)::int AS n FROM bounce_reports`)).rows[0].n as number;

  test('when SNS asks to confirm the subscription, then Bulletin GETs the SubscribeURL', async () => {
    const subscribeUrl = 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=2336412f37';
    const res = await post(signSns({ Type: 'SubscriptionConfirmation', MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b', Token: '2336412f37',
      TopicArn: TOPIC_ARN, Message: 'You have chosen to subscribe to the topic.', SubscribeURL: subscribeUrl, Timestamp: new Date().toISOString() }));
    expect(res.status).toBe(200);
    expect(sns.fetched).toContain(subscribeUrl);
  });

  test('when a subscription confirmation names a SubscribeURL off SNS, then 401 and it is not fetched', async () => {
    const res = await post(signSns({ Type: 'SubscriptionConfirmation', MessageId: 'm2', Token: 't', TopicArn: TOPIC_ARN, Message: 'x',
      SubscribeURL: 'https://evil.example/confirm', Timestamp: new Date().toISOString() }));
    expect(res.status).toBe(401);
    expect(sns.fetched).not.toContain('https://evil.example/confirm');
  });

  test.each(['1', '2'] as const)('when a permanent bounce is signed (SignatureVersion %s), then the address is suppressed', async (version) => {
    const [reader] = await fx.subscribers(1);
    const res = await post(snsNotification(sesBounce(reader!.email, 'Permanent'), { version }));
    expect(res.status).toBe(200);
    expect(res.body.outcomes).toEqual({ suppressed: 1 });
    expect(await suppressed(reader!.id)).not.toBeNull();
  });

  test('when a transient bounce arrives, then it counts as soft and does not suppress alone', async () => {
    const [reader] = await fx.subscribers(1);
    const res = await post(snsNotification(sesBounce(reader!.email, 'Transient')));
    expect(res.body.outcomes).toEqual({ counted: 1 });
    expect(await suppressed(reader!.id)).toBeNull();
  });

  test('when a complaint arrives, then the reader is unsubscribed and suppressed; a "not-spam" report changes nothing', async () => {
    const [reader, other] = await fx.subscribers(2);
    expect((await post(snsNotification(sesComplaint(other!.email, { feedbackType: 'not-spam' })))).body.reports).toBe(0);
    expect(await suppressed(other!.id)).toBeNull();
    expect((await post(snsNotification(sesComplaint(reader!.email)))).body.outcomes).toEqual({ complained: 1 });
    const { rows } = await fx.pool.query(`SELECT status::text, suppressed_at FROM subscribers WHERE id = $1`, [reader!.id]);
    expect(rows[0].status).toBe('unsubscribed');
    expect(rows[0].suppressed_at).not.toBeNull();
  });

  test('when a signed notification is altered, then 401 and nothing changes', async () => {
    const [reader] = await fx.subscribers(1);
    const signed = snsNotification(sesBounce('someone-else@example.test', 'Permanent'));
    const before = await reports();
    const res = await post({ ...signed, Message: JSON.stringify(sesBounce(reader!.email, 'Permanent')) });
    expect(res.status).toBe(401);
    expect(await reports()).toBe(before);
    expect(await suppressed(reader!.id)).toBeNull();
  });

  test('when the certificate URL is on another host, then 401 and it is not fetched', async () => {
    const [reader] = await fx.subscribers(1);
    const certUrl = 'https://attacker.example/SimpleNotificationService.pem';
    const res = await post(snsNotification(sesBounce(reader!.email, 'Permanent'), { certUrl }));
    expect(res.status).toBe(401);
    expect(sns.fetched).not.toContain(certUrl);
    expect(await suppressed(reader!.id)).toBeNull();
  });

  test('when the topic is not configured, then 401', async () => {
    const [reader] = await fx.subscribers(1);
    const res = await post(snsNotification(sesBounce(reader!.email, 'Permanent'), { topic: 'arn:aws:sns:us-east-1:999999999999:theirs' }));
    expect(res.status).toBe(401);
    expect(await suppressed(reader!.id)).toBeNull();
  });

  test('when SNS delivers the same notification again (a retry or a replay), then it is acted on once', async () => {
    const [reader] = await fx.subscribers(1);
    const notification = snsNotification(sesBounce(reader!.email, 'Transient'));
    expect((await post(notification)).body.outcomes).toEqual({ counted: 1 });
    expect((await post(notification)).body.outcomes).toEqual({ duplicate: 1 });
    expect((await fx.pool.query(`SELECT 1 FROM bounce_reports WHERE subscriber_id = $1`, [reader!.id])).rowCount).toBe(1);
  });

  test('when the body is not an SNS message, or its Message not an SES notification, then 400', async () => {
    expect((await post('not json')).status).toBe(400);
    expect((await post(JSON.stringify({ hello: 'world' }))).status).toBe(400);
    const res = await post(signSns({ Type: 'Notification', MessageId: 'm', TopicArn: TOPIC_ARN, Message: 'plain text', Timestamp: new Date().toISOString() }));
    expect(res.status).toBe(400);
    expect(res.body.fields.body).toMatch(/SES notification/);
  });
});
