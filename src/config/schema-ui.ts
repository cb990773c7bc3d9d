import { z } from 'zod';
import { contrast, HEX_COLOUR, MIN_TEXT_CONTRAST } from '../ui/colour.ts';
import { optionalString } from './schema-parts.ts';

/** Logo files tollgate serves, by extension; the file's first bytes must agree (see src/ui/branding.ts). */
export const LOGO_EXTENSIONS = ['png', 'svg', 'jpg', 'jpeg', 'webp', 'gif'] as const;

const hexColour = z.string().regex(HEX_COLOUR, 'use a hex colour such as "#1d4ed8" or "#14b"');

/** A file path, or an https URL the pages load directly. */
const logo = z
  .string()
  .min(1)
  .refine((v) => !/^http:\/\//i.test(v), 'use an https URL or a file path, never http')
  .refine((v) => !/^https:\/\//i.test(v) || URL.canParse(v), 'not a valid URL')
  .refine(
    (v) =>
      /^https:\/\//i.test(v) ||
      (LOGO_EXTENSIONS as readonly string[]).includes(v.split('.').pop()?.toLowerCase() ?? ''),
    `a logo file ends in .${LOGO_EXTENSIONS.join(', .')}`,
  );

/** A support contact: a line of text, optionally linked to a mailto: or https: address. */
const support = z.preprocess(
  (v) => (typeof v === 'string' ? { text: v } : v),
  z.strictObject({
    /** What the footer says, e.g. "Trouble signing in? Contact the IT help desk". */
    text: z.string().min(1).max(200),
    /** Where the line links to: `mailto:` or `https:`. */
    href: z.url({ protocol: /^(mailto|https)$/ }).optional(),
  }),
);

/** `ui.branding`: how the pages present the operator's product. */
export const brandingSchema = z
  .strictObject({
    /** Product name: page titles, the footer ("Secured by ...") and above every page's heading. @default "tollgate" */
    name: z.string().trim().min(1).max(60).default('tollgate'),
    /** A logo: an image file tollgate serves at `/branding/logo`, or an https URL. */
    logo: logo.optional(),
    /** Buttons, links and focus rings. The text on buttons is white or black, whichever reads. */
    primary_color: hexColour.optional(),
    /** Text on primary buttons instead of the computed one; refused below 4.5:1 against `primary_color`. */
    primary_text_color: hexColour.optional(),
    /** A stylesheet file served at `/branding/custom.css`, loaded after the built-in styles. */
    css: optionalString,
    /** A support line in every page's footer. */
    support: support.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.primary_text_color === undefined) return;
    if (b.primary_color === undefined) {
      ctx.addIssue({ code: 'custom', path: ['primary_text_color'], message: 'needs primary_color' });
      return;
    }
    const ratio = contrast(b.primary_color, b.primary_text_color);
    if (ratio < MIN_TEXT_CONTRAST) {
      ctx.addIssue({
        code: 'custom',
        path: ['primary_text_color'],
        message: `contrast ${ratio.toFixed(2)}:1 against primary_color ${b.primary_color} is below ${MIN_TEXT_CONTRAST}:1; leave it out to get a readable one`,
      });
    }
  });

/** `ui`: how the pages look. */
export const uiSchema = z
  .strictObject({
    branding: brandingSchema.optional(),
    /** Folder of templates overriding the shipped ones by name (`login.ejs`, `partials/brand.ejs`...). */
    views_dir: optionalString,
    /** Language when neither `ui_locales` nor `Accept-Language` names one there is a catalogue for. @default "en" */
    default_locale: z
      .string()
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag such as en or de')
      .default('en'),
    /** A folder of `<lang>.json` catalogues merged over the shipped ones (src/i18n). @default none */
    locales_dir: optionalString,
  })
  .prefault({});

export type BrandingConfig = z.infer<typeof brandingSchema>;
export type UiConfig = z.infer<typeof uiSchema>;
