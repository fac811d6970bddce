import {
  type Channel,
  type ConsentModeType,
  channels,
  consentModeTypes,
  type LegalBasis,
  legalBases,
  noticeKinds,
  type PurposeCategory,
  propertyTypes,
  purposeCategories,
} from '@assent/core';
import {
  type Static,
  type TObject,
  type TOptional,
  type TProperties,
  type TSchema,
  Type,
} from '@sinclair/typebox';
import { PageQuery } from '../../http/pagination.ts';
import { enumOf } from '../../http/schema-helpers.ts';

export const catalogKinds = ['brand', 'property', 'purpose', 'vendor', 'topic', 'notice'] as const;
export type CatalogKind = (typeof catalogKinds)[number];

import type { NoticeKind, PropertyType } from '@assent/core';

export type { NoticeKind, PropertyType };

/** A string enum as one `{type: string, enum}` schema: shorter in OpenAPI than a union of literals. */
const Nullable = <T extends TSchema>(t: T, description?: string) =>
  Type.Union([t, Type.Null()], description ? { description } : {});
const UniqueArray = <T extends TSchema>(t: T, opts: { maxItems?: number; minItems?: number } = {}) =>
  Type.Array(t, { uniqueItems: true, maxItems: 500, ...opts });

export const Key = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
  description: 'A slug chosen by you, unique per kind in the workspace: lower-case letters, digits, - and _.',
});
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Text = Type.String({ maxLength: 5000 });

const Contact = Type.Object(
  {
    email: Type.Optional(Type.String({ format: 'email', maxLength: 320 })),
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    address: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false, description: 'Used by SMS CONTACT replies and receipts.' },
);

/** The fields of each kind besides id, key, name and timestamps, as stored in `data`. */
const dataProps = {
  brand: {
    contact: Contact,
    theme: Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 200 }), {
      maxProperties: 100,
      description: 'Design tokens for hosted pages and the banner, e.g. `{"primary": "#0a58ca"}`.',
    }),
  },
  property: {
    brandKey: Type.String({ ...Key, description: 'The key of the brand this touchpoint belongs to.' }),
    type: enumOf(propertyTypes),
    domains: UniqueArray(Type.String({ format: 'hostname', maxLength: 253 }), { maxItems: 100 }),
    consentGroup: Nullable(
      Type.String({ minLength: 1, maxLength: 64 }),
      'Properties in one group share web consent.',
    ),
    settings: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
      maxProperties: 100,
      description:
        'Per-type settings. Fields named like token, secret, password or apiKey are write-only: stored, never returned (see `secretsSet`); send one as null to remove it.',
    }),
  },
  purpose: {
    description: Text,
    legalBasis: enumOf(legalBases),
    category: enumOf(purposeCategories),
    consentMode: UniqueArray(enumOf(consentModeTypes), { maxItems: consentModeTypes.length }),
    tcfPurposes: UniqueArray(Type.Integer({ minimum: 1, maximum: 11 }), { maxItems: 11 }),
    expiresAfterDays: Nullable(Type.Integer({ minimum: 1, maximum: 36500 }), 'A grant expires after this.'),
    sale: Type.Boolean({ description: 'Processing for this purpose is a sale (CCPA); GPC opts out.' }),
    sharing: Type.Boolean({ description: 'Processing for this purpose is sharing (CPRA); GPC opts out.' }),
    translations: Type.Record(
      Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' }),
      Type.Object(
        { name: Type.Optional(Name), description: Type.Optional(Text) },
        { additionalProperties: false },
      ),
      {
        maxProperties: 100,
        description:
          'Name and description per language code, shown by the banner, e.g. `{"fr": {"name": "Mesure d\'audience"}}`.',
      },
    ),
  },
  vendor: {
    purposes: UniqueArray(Key, { maxItems: 200 }),
    privacyPolicyUrl: Nullable(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 })),
    tcfVendorId: Nullable(Type.Integer({ minimum: 1 })),
    cookies: UniqueArray(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 200 }),
  },
  topic: {
    parentKey: Nullable(Key, 'The parent topic; null at the top of the tree.'),
    channels: UniqueArray(enumOf(channels), { minItems: 1, maxItems: channels.length }),
    brandKey: Nullable(Key, 'null: offered for the whole workspace.'),
    description: Text,
  },
  notice: {
    kind: enumOf(noticeKinds),
    brandKey: Nullable(Key),
    propertyKey: Nullable(Key),
  },
} satisfies Record<CatalogKind, TProperties>;

/** Create-time defaults; fields not listed are required on create. */
const defaults = {
  brand: { contact: {}, theme: {} },
  property: { domains: [], consentGroup: null, settings: {} },
  purpose: {
    description: '',
    legalBasis: 'consent',
    consentMode: [],
    tcfPurposes: [],
    expiresAfterDays: null,
    sale: false,
    sharing: false,
    translations: {},
  },
  vendor: { purposes: [], privacyPolicyUrl: null, tcfVendorId: null, cookies: [] },
  topic: { parentKey: null, brandKey: null, description: '' },
  notice: { brandKey: null, propertyKey: null },
} as const;

type Props = typeof dataProps;
type Defaults = typeof defaults;
type Opt<T> = T extends TSchema ? TOptional<T> : never;
type CreateProps<K extends CatalogKind> = {
  [P in keyof Props[K]]: P extends keyof Defaults[K] ? Opt<Props[K][P]> : Props[K][P];
};
type PatchProps<K extends CatalogKind> = { [P in keyof Props[K]]: Opt<Props[K][P]> };

function createBody<K extends CatalogKind>(kind: K) {
  const props: TProperties = { key: Key, name: Name };
  const d = defaults[kind] as Record<string, unknown>;
  for (const [name, schema] of Object.entries(dataProps[kind] as TProperties)) {
    props[name] = name in d ? Type.Optional({ ...schema, default: d[name] }) : schema;
  }
  return Type.Object(props, { additionalProperties: false }) as unknown as TObject<
    { key: typeof Key; name: typeof Name } & CreateProps<K>
  >;
}

function patchBody<K extends CatalogKind>(kind: K) {
  const props: TProperties = { name: Type.Optional(Name) };
  for (const [name, schema] of Object.entries(dataProps[kind] as TProperties)) {
    props[name] = Type.Optional(schema);
  }
  return Type.Object(props, {
    additionalProperties: false,
    description: 'Only the fields sent change; `key` cannot change.',
  }) as unknown as TObject<{ name: TOptional<typeof Name> } & PatchProps<K>>;
}

const Common = {
  id: Type.String(),
  key: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  archivedAt: Nullable(Type.String(), 'Set when archived; archived objects stay readable by id.'),
};

export const NoticeVersionSummary = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  contentHash: Type.String(),
  material: Type.Boolean(),
});

const views = {
  brand: Type.Object({ ...Common, ...dataProps.brand }),
  property: Type.Object({
    ...Common,
    ...dataProps.property,
    secretsSet: Type.Array(Type.String(), {
      description: 'Paths of the write-only settings that are set, e.g. `authToken`.',
    }),
    publishableKey: Type.String({
      description:
        'The public key of the Collect API for this property (`/c/{publishableKey}/...`): safe to put in a web page.',
    }),
  }),
  purpose: Type.Object({ ...Common, ...dataProps.purpose }),
  vendor: Type.Object({ ...Common, ...dataProps.vendor }),
  topic: Type.Object({ ...Common, ...dataProps.topic }),
  notice: Type.Object({
    ...Common,
    ...dataProps.notice,
    latestVersions: Type.Record(Type.String(), NoticeVersionSummary, {
      description: 'The newest version per language.',
    }),
  }),
};

/** What each kind's routes validate and document. */
export const catalogSchemas = {
  brand: { path: 'brands', create: createBody('brand'), patch: patchBody('brand'), view: views.brand },
  property: {
    path: 'properties',
    create: createBody('property'),
    patch: patchBody('property'),
    view: views.property,
  },
  purpose: {
    path: 'purposes',
    create: createBody('purpose'),
    patch: patchBody('purpose'),
    view: views.purpose,
  },
  vendor: {
    path: 'vendors',
    create: createBody('vendor'),
    patch: patchBody('vendor'),
    view: views.vendor,
  },
  topic: { path: 'topics', create: createBody('topic'), patch: patchBody('topic'), view: views.topic },
  notice: {
    path: 'notices',
    create: createBody('notice'),
    patch: patchBody('notice'),
    view: views.notice,
  },
};

type DataOf<K extends CatalogKind> = Static<TObject<Props[K]>>;

export interface BrandData {
  contact: { email?: string; phone?: string; address?: string };
  theme: Record<string, string>;
}
export interface PropertyData {
  brandKey: string;
  type: PropertyType;
  domains: string[];
  consentGroup: string | null;
  /** Includes the write-only secrets: never send this to a client as is. */
  settings: Record<string, unknown>;
}
export interface PurposeData {
  description: string;
  legalBasis: LegalBasis;
  category: PurposeCategory;
  consentMode: ConsentModeType[];
  tcfPurposes: number[];
  expiresAfterDays: number | null;
  sale: boolean;
  sharing: boolean;
  translations: Record<string, { name?: string; description?: string }>;
}
export interface VendorData {
  purposes: string[];
  privacyPolicyUrl: string | null;
  tcfVendorId: number | null;
  cookies: string[];
}
export interface TopicData {
  parentKey: string | null;
  channels: Channel[];
  brandKey: string | null;
  description: string;
}
export interface NoticeData {
  kind: NoticeKind;
  brandKey: string | null;
  propertyKey: string | null;
}

/** The kind-specific fields of each kind, with create defaults applied. */
export interface CatalogData {
  brand: BrandData;
  property: PropertyData;
  purpose: PurposeData;
  vendor: VendorData;
  topic: TopicData;
  notice: NoticeData;
}

// The hand-written interfaces above are what other features read; keep them equal to the schemas.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _dataMatchesSchemas: { [K in CatalogKind]: Same<CatalogData[K], DataOf<K>> } = {
  brand: true,
  property: true,
  purpose: true,
  vendor: true,
  topic: true,
  notice: true,
};
void _dataMatchesSchemas;

export type CatalogInput<K extends CatalogKind> = Static<(typeof catalogSchemas)[K]['create']>;
export type CatalogPatch<K extends CatalogKind> = Static<(typeof catalogSchemas)[K]['patch']>;

/** One catalog object as other features read it: common fields and the kind's fields, flattened. */
export type CatalogItem<K extends CatalogKind = CatalogKind> = {
  id: string;
  key: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  archivedAt: string | null;
} & CatalogData[K];

export type Brand = CatalogItem<'brand'>;
export type Property = CatalogItem<'property'>;
export type Purpose = CatalogItem<'purpose'>;
export type Vendor = CatalogItem<'vendor'>;
export type Topic = CatalogItem<'topic'>;
export type Notice = CatalogItem<'notice'>;

export const defaultsOf = <K extends CatalogKind>(kind: K) => defaults[kind];

export const ListQuery = Type.Object(
  {
    ...PageQuery.properties,
    includeArchived: Type.Boolean({ default: false, description: 'Include archived objects.' }),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
