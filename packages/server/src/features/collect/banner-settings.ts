import { DEFAULT_CHOICE_DAYS, type FieldError, MAX_CHOICE_DAYS } from '@assent/core';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const Language = Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$', maxLength: 35 });
const HttpUrl = Type.String({ pattern: '^https?://', maxLength: 2000 });
const Label = Type.String({ minLength: 1, maxLength: 300 });

/** `settings.banner` of a web property: how its banner behaves. Every field is optional. */
export const BannerSettings = Type.Object(
  {
    defaultLanguage: Type.Optional(Language),
    noticeKey: Type.Optional(
      Type.String({
        maxLength: 64,
        description: "The banner notice; default: the property's, else its brand's.",
      }),
    ),
    choiceDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CHOICE_DAYS })),
    privacyPolicyUrl: Type.Optional(HttpUrl),
    variant: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    consentMode: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          waitForUpdate: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
          regions: Type.Optional(
            Type.Array(Type.String({ pattern: '^[A-Z]{2}(-[A-Z0-9]{1,3})?$' }), { maxItems: 300 }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    cookieWall: Type.Optional(
      Type.Union([
        Type.Null(),
        Type.Object({ alternativeUrl: HttpUrl, alternativeLabel: Label }, { additionalProperties: false }),
      ]),
    ),
    labels: Type.Optional(
      Type.Record(Language, Type.Record(Type.String({ maxLength: 32 }), Label), { maxProperties: 100 }),
    ),
  },
  { additionalProperties: false },
);
export type BannerSettings = Static<typeof BannerSettings>;

/** The errors of a property's `settings.banner`, as field errors under `/settings/banner`. */
export function bannerSettingsErrors(value: unknown): FieldError[] {
  if (value === undefined) return [];
  return [...Value.Errors(BannerSettings, value)].slice(0, 10).map((e) => ({
    pointer: `/settings/banner${e.path}`,
    detail: e.message,
  }));
}

/** The banner settings with defaults; invalid input (stored before validation existed) falls back to them. */
export function readBannerSettings(settings: Record<string, unknown>) {
  const raw = settings.banner;
  const s: BannerSettings = raw !== undefined && Value.Check(BannerSettings, raw) ? raw : {};
  return {
    defaultLanguage: s.defaultLanguage ?? null,
    noticeKey: s.noticeKey ?? null,
    choiceDays: Math.min(s.choiceDays ?? DEFAULT_CHOICE_DAYS, MAX_CHOICE_DAYS),
    privacyPolicyUrl: s.privacyPolicyUrl ?? null,
    variant: s.variant ?? 'default',
    consentMode: {
      enabled: s.consentMode?.enabled ?? true,
      waitForUpdate: s.consentMode?.waitForUpdate ?? 500,
      regions: s.consentMode?.regions ?? [],
    },
    cookieWall: s.cookieWall ?? null,
    labels: s.labels ?? {},
  };
}
