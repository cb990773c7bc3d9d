import type { Channel } from '../../delivery/types.ts';
import { createSendLimiter } from '../../security/regulation.ts';
import type { FactorDefinition } from '../types.ts';
import { createAddressFactor } from './index.ts';

/** Codes sent per account and per destination address within an hour (each channel counts apart). */
export const SENDS_PER_ACCOUNT_PER_HOUR = 10;
export const SENDS_PER_ADDRESS_PER_HOUR = 5;

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
        sendLimits: deps.sendLimits ?? {
          perAccount: createSendLimiter(deps, `${channel}-send-account`, SENDS_PER_ACCOUNT_PER_HOUR, 3600),
          perAddress: createSendLimiter(deps, `${channel}-send-address`, SENDS_PER_ADDRESS_PER_HOUR, 3600),
        },
      });
    },
  };
}

export const emailDefinition = addressDefinition('email');
export const smsDefinition = addressDefinition('sms');
