import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { limitSettingsFromEnv } from '../../../infra/local/limit-settings.ts';
import { DEFAULT_PRICES } from '../../../shared/domain/usage/instance-prices.ts';

describe('limitSettingsFromEnv', () => {
  it('gives no prices and the real hour unless told otherwise', () => {
    expect(limitSettingsFromEnv({})).toEqual({});
  });

  it('reads prices from CASSINI_PRICES ("default" or JSON) or CASSINI_PRICES_FILE, and the timing knobs in seconds', () => {
    expect(limitSettingsFromEnv({ CASSINI_PRICES: 'default' }).prices).toEqual(DEFAULT_PRICES);
    expect(limitSettingsFromEnv({ CASSINI_PRICES: '{"small": 0.05}' }).prices).toEqual({ small: 0.05 });
    const file = join(mkdtempSync(join(tmpdir(), 'cassini-prices-')), 'prices.json');
    writeFileSync(file, '{"large": 0.2}');
    expect(limitSettingsFromEnv({ CASSINI_PRICES_FILE: file }).prices).toEqual({ large: 0.2 });
    expect(limitSettingsFromEnv({ CASSINI_LIMIT_HOUR_SECONDS: '2', CASSINI_LIMITS_CHECK_SECONDS: '0.5' })).toEqual({ limitHourMs: 2000, limitsCheckIntervalMs: 500 });
  });

  it('refuses settings it cannot use, naming them', () => {
    expect(() => limitSettingsFromEnv({ CASSINI_PRICES: 'cheap' })).toThrow(/CASSINI_PRICES must be "default" or a JSON object/);
    expect(() => limitSettingsFromEnv({ CASSINI_PRICES: '{"small": "free"}' })).toThrow(/CASSINI_PRICES/);
    expect(() => limitSettingsFromEnv({ CASSINI_LIMIT_HOUR_SECONDS: '0' })).toThrow(/CASSINI_LIMIT_HOUR_SECONDS must be a positive number of seconds/);
  });
});
