import type { FactorRegistry } from '../factors/index.ts';
import type { Factor } from '../factors/types.ts';
import { type Decision, type DecisionInput, decide, type FactorTraits } from './decide.ts';
import type { MfaPolicy } from './mfa.ts';

/** What a caller knows when it asks {@link decideFor}. */
export interface DecisionQuery {
  clientId: string;
  params: DecisionInput['params'];
  accountId: string;
  proven: readonly string[];
  provenAt?: number;
  remembered?: readonly string[];
}

/** The decision traits of a factor. */
export const traitsOf = (f: Factor): FactorTraits => ({
  id: f.id,
  amr: f.amr,
  backup: f.backup,
  restricted: f.restricted,
  enrollable: f.enrollable,
  phishingResistant: f.phishingResistant === true,
});

/** Gathers the inputs of {@link decide} from the policy, the factors and the account's credentials. */
export async function decisionInput(
  policy: MfaPolicy,
  factors: FactorRegistry,
  query: DecisionQuery,
): Promise<DecisionInput> {
  const all = factors.all();
  const enrolled = await factors.enrolled(
    query.accountId,
    all.map((f) => f.id),
  );
  return {
    client: policy.forClient(query.clientId),
    factors: all.map(traitsOf),
    params: query.params,
    proven: query.proven,
    provenAt: query.provenAt,
    enrolled: enrolled.map((f) => f.id),
    remembered: query.remembered,
  };
}

/** {@link decide} over what the stores know now. */
export async function decideFor(
  policy: MfaPolicy,
  factors: FactorRegistry,
  query: DecisionQuery,
): Promise<Decision> {
  return decide(await decisionInput(policy, factors, query));
}
