// Identifiers of subscriptions and deliveries. Delivery ids sort by creation time (the log is
// listed newest first by id) and are the Standard Webhooks `webhook-id`.
import { randomBytes } from 'node:crypto';

const stamp = () => Date.now().toString(36).padStart(10, '0');

export const newSubscriptionId = () => `sub_${randomBytes(12).toString('hex')}`;
export const newDeliveryId = () => `msg_${stamp()}${randomBytes(10).toString('hex')}`;
