/** A usage limit's settings for tests: every setting null (nothing limited) unless given. */
import type { UsageLimitSettings } from '../../../shared/domain/limits/usage-limits.ts';

export function limitSettings(fields: Partial<UsageLimitSettings> = {}): UsageLimitSettings {
  return {
    name: 'interns',
    is_default: false,
    instance_sizes: null,
    resource_types: null,
    num_instances: null,
    auto_shutoff: null,
    storage_in_gb: null,
    num_shared_folders: null,
    hours_per_day: null,
    hours_per_month: null,
    hours_forever: null,
    ...fields,
  };
}
