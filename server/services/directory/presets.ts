// What each kind of directory calls things (shared/directory-presets.ts: the filters, the attribute mapping, the
// external id a user is matched by) and how the server reads it: how changes are found, whether the id is binary.
import { DIRECTORY_PRESETS, type DirectoryPresetSettings } from '../../../shared/directory-presets.js';
import type { AttributeMapping, DirectoryVendor } from '../../../shared/directory-schemas.js';

/** The settings the console shows (shared with it), and how the server reads such a directory. */
export interface DirectoryPreset extends DirectoryPresetSettings {
  /** The attribute an incremental sync asks for changes by: AD's update sequence number, or the modify time. */
  changedAttribute: 'uSNChanged' | 'modifyTimestamp';
  /** The external id is binary (AD's objectGUID): it must be read as bytes, not as text. */
  binaryExternalId: boolean;
}

export const PRESETS: Record<DirectoryVendor, DirectoryPreset> = {
  active_directory: { ...DIRECTORY_PRESETS.active_directory, changedAttribute: 'uSNChanged', binaryExternalId: true },
  openldap: { ...DIRECTORY_PRESETS.openldap, changedAttribute: 'modifyTimestamp', binaryExternalId: false },
  '389ds': { ...DIRECTORY_PRESETS['389ds'], changedAttribute: 'modifyTimestamp', binaryExternalId: false },
  freeipa: { ...DIRECTORY_PRESETS.freeipa, changedAttribute: 'modifyTimestamp', binaryExternalId: false },
};

/** The preset's mapping with the given attributes over it (null switches an optional one off). */
export function mappingFor(
  vendor: DirectoryVendor,
  overrides: Partial<AttributeMapping> = {},
  base: AttributeMapping = PRESETS[vendor].attributes,
): AttributeMapping {
  const mapping = { ...base };
  for (const [key, value] of Object.entries(overrides) as [keyof AttributeMapping, string | null | undefined][]) {
    if (value !== undefined) mapping[key] = value;
  }
  return mapping;
}
