import type { RedisClient } from '../../../adapters/redis-client.ts';
import type { Channel } from '../../delivery/types.ts';
import { createSendLimiter, type SendLimiter } from '../../security/regulation.ts';
import type { FactorDefinition } from '../types.ts';
import { createAddressFactor } from './index.ts';

/** Codes sent per account and per destination address within an hour (each channel counts apart). */
export const SENDS_PER_ACCOUNT_PER_HOUR = 10;
export const SENDS_PER_ADDRESS_PER_HOUR = 5;

/**
 * The send limits of a channel's codes, per account and per address, on the given store. The
 * factor counts with them; `tollgate users delete` drops a deleted account's count.
 */
export function channelSendLimits(
  channel: Channel,
  store: { redis?: RedisClient; keyPrefix?: string },
): { perAccount: SendLimiter; perAddress: SendLimiter } {
  return {
    perAccount: createSendLimiter(store, `${channel}-send-account`, SENDS_PER_ACCOUNT_PER_HOUR, 3600),
    perAddress: createSendLimiter(store, `${channel}-send-address`, SENDS_PER_ADDRESS_PER_HOUR, 3600),
  };
}

/** The email or SMS factor as a plug-in: needs the `otp` section and a delivery for its channel. */
function addressDefinition(channel: Channel): FactorDefinition {
  return {
    id: channel,
    create(deps) {
      if (!deps.otp) throw new Error(`${channel} codes need the otp section and a delivery`);
      return createAddressFactor({
        channel,
        otp: deps.otp,
        credentials: deps.credentials,
        logger: deps.logger,
        accounts: deps.accounts,
        sendLimits: deps.sendLimits ?? channelSendLimits(channel, deps),
      });
    },
  };
}

export const emailDefinition = addressDefinition('email');
export const smsDefinition = addressDefinition('sms');
