/**
 * What the subscription services need from the job queue: each email is sent by a background job
 * that receives only the subscriber id (the job creates any token itself, so no secret sits in a
 * job row). Declared here, implemented over pg-boss in subscription-jobs.ts.
 */
export interface SubscriptionMailQueue {
  confirmation(subscriberId: number): Promise<void>;
  welcome(subscriberId: number): Promise<void>;
  manageLink(subscriberId: number): Promise<void>;
}
