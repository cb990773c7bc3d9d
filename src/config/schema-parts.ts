import { z } from 'zod';

/** Building blocks shared by the configuration schema files. */

export const emptyToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
export const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
