/** Wire shapes of the catalog: brands, properties, purposes, vendors, topics and notices. */
import type {
  Channel,
  ConsentModeType,
  LegalBasis,
  NoticeKind,
  PropertyType,
  PurposeCategory,
} from '@assent/core';
import type { PageParams } from './types.ts';

export type { NoticeKind, PropertyType };

/** Fields every catalog object has. */
export interface CatalogObject {
  id: string;
  /** A slug chosen by you, unique per kind in the workspace. */
  key: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  /** Set when archived; archived objects stay readable by id. */
  archivedAt: string | null;
}

export interface CatalogListParams extends PageParams {
  includeArchived?: boolean;
}

export interface BrandFields {
  contact: { email?: string; phone?: string; address?: string };
  /** Design tokens, e.g. `{ primary: '#0a58ca' }`. */
  theme: Record<string, string>;
}
export interface PropertyFields {
  brandKey: string;
  type: PropertyType;
  domains: string[];
  consentGroup: string | null;
  /** Secrets (token, secret, password, apiKey...) are write-only: never returned, see `secretsSet`. */
  settings: Record<string, unknown>;
}
export interface PurposeFields {
  description: string;
  legalBasis: LegalBasis;
  category: PurposeCategory;
  consentMode: ConsentModeType[];
  tcfPurposes: number[];
  expiresAfterDays: number | null;
  sale: boolean;
  sharing: boolean;
}
export interface VendorFields {
  purposes: string[];
  privacyPolicyUrl: string | null;
  tcfVendorId: number | null;
  cookies: string[];
}
export interface TopicFields {
  parentKey: string | null;
  channels: Channel[];
  brandKey: string | null;
  description: string;
}
export interface NoticeFields {
  kind: NoticeKind;
  brandKey: string | null;
  propertyKey: string | null;
}

export interface NoticeVersionSummary {
  id: string;
  version: number;
  contentHash: string;
  material: boolean;
}

export type Brand = CatalogObject & BrandFields;
export type Property = CatalogObject & PropertyFields & { secretsSet: string[] };
export type Purpose = CatalogObject & PurposeFields;
export type Vendor = CatalogObject & VendorFields;
export type Topic = CatalogObject & TopicFields;
export type Notice = CatalogObject &
  NoticeFields & {
    /** The newest version per language. */
    latestVersions: Record<string, NoticeVersionSummary>;
  };

/** Create input: key and name, the kind's required fields, the others optional (server defaults). */
type CreateInput<F, Required extends keyof F = never> = { key: string; name: string } & Pick<F, Required> &
  Partial<Omit<F, Required>>;
/** Only the fields sent change; `key` cannot change. */
type PatchInput<F> = { name?: string } & Partial<F>;

export type BrandInput = CreateInput<BrandFields>;
export type PropertyInput = CreateInput<PropertyFields, 'brandKey' | 'type'>;
export type PurposeInput = CreateInput<PurposeFields, 'category'>;
export type VendorInput = CreateInput<VendorFields>;
export type TopicInput = CreateInput<TopicFields, 'channels'>;
export type NoticeInput = CreateInput<NoticeFields, 'kind'>;

export type BrandPatch = PatchInput<BrandFields>;
export type PropertyPatch = PatchInput<PropertyFields>;
export type PurposePatch = PatchInput<PurposeFields>;
export type VendorPatch = PatchInput<VendorFields>;
export type TopicPatch = PatchInput<TopicFields>;
export type NoticePatch = PatchInput<NoticeFields>;

export interface NoticeVersionInput {
  /** A BCP 47 tag: `en`, `fr-CA`. */
  language: string;
  /** The text or HTML shown. */
  content: string;
  /** A material change: everyone who agreed to an earlier version is asked again. */
  material?: boolean;
}
export interface NoticeVersion {
  id: string;
  noticeId: string;
  /** 1, 2, ... per notice and language. */
  version: number;
  language: string;
  /** sha256 (hex) of the content, UTF-8. */
  contentHash: string;
  material: boolean;
  createdAt: string;
}
export interface NoticeVersionDetail extends NoticeVersion {
  content: string;
}
