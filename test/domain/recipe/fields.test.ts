import { describe, expect, it } from 'vitest';
import { dnsLabel, duration, envVarName, timeZone } from '../../../shared/domain/recipe/fields.ts';
import { durationSeconds } from '../../../shared/domain/recipe/duration.ts';
import { cronProblem } from '../../../shared/domain/schedule/cron-expression.ts';

describe('cronProblem', () => {
  it.each([
    ['* * * * *'],
    ['0 0 * * *'],
    ['*/15 * * * *'],
    ['0 9-17 * * 1-5'],
    ['0 9-17/2 * * 1-5'],
    ['5,35 * * * *'],
    ['0 0 1 JAN *'],
    ['0 0 * jan-jun mon'],
    ['0 0 * * sun,sat'],
    ['0 0 ? * mon'],
    ['0 0 1 * ?'],
    ['59 23 31 12 7'],
    ['  0 0 * * *  '],
    ['@yearly'],
    ['@annually'],
    ['@monthly'],
    ['@weekly'],
    ['@daily'],
    ['@midnight'],
    ['@hourly'],
  ])('accepts %j', (expression) => {
    expect(cronProblem(expression)).toBeUndefined();
  });

  it.each([
    ['* * * *', /5 fields/],
    ['* * * * * *', /5 fields/],
    ['', /5 fields/],
    ['@every', /unknown macro/],
    ['@reboot', /unknown macro/],
    ['60 * * * *', /field 1 .* 0-59/],
    ['* 24 * * *', /field 2 .* 0-23/],
    ['* * 0 * *', /field 3 .* 1-31/],
    ['* * 32 * *', /field 3 .* 1-31/],
    ['* * * 13 *', /field 4 .* 1-12/],
    ['* * * * 8', /field 5 .* 0-7/],
    ['* * * * jan', /field 5/],
    ['* * * mon *', /field 4/],
    ['? * * * *', /only allowed in day-of-month and day-of-week/],
    ['* ? * * *', /only allowed/],
    ['* * * ? *', /only allowed/],
    ['*/x * * * *', /not a cron field/],
    ['1,,2 * * * *', /not a cron field/],
    ['0 0 L * *', /field 3/],
    ['*/0 * * * *', /step of 0/],
    ['5-1 * * * *', /runs backwards/],
    ['1/3 * * * *', /a step needs/],
    ['*/61 * * * *', /steps cannot be greater/],
    ['0 0 * * fri-mon', /runs backwards/],
  ])('refuses %j', (expression, problem) => {
    expect(cronProblem(expression)).toMatch(problem);
  });
});

describe('durationSeconds', () => {
  it.each<[number | string, number]>([
    [3600, 3600],
    ['3600', 3600],
    ['90m', 5400],
    ['1h30m', 5400],
    ['1d', 86400],
    ['1d2h3m4s', 93784],
    ['45s', 45],
    [' 2h ', 7200],
  ])('reads %j as %i seconds', (value, seconds) => {
    expect(durationSeconds(value)).toBe(seconds);
  });

  it.each<[number | string]>([[0], [-1], [1.5], [''], ['0m'], ['1.5h'], ['30m1h'], ['90 minutes'], ['h']])('refuses %j', (value) => {
    expect(durationSeconds(value)).toBeUndefined();
    expect(duration.safeParse(value).success).toBe(false);
  });
});

describe('timeZone', () => {
  it('accepts IANA names and UTC', () => {
    for (const tz of ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata']) expect(timeZone.safeParse(tz).success).toBe(true);
  });

  it('refuses names the runtime does not know', () => {
    for (const tz of ['Mars/Olympus_Mons', 'Europe/Pariss', '']) expect(timeZone.safeParse(tz).success).toBe(false);
  });
});

describe('dnsLabel and envVarName', () => {
  it('accept what they describe and refuse the rest', () => {
    expect(dnsLabel.safeParse('web-1').success).toBe(true);
    expect(dnsLabel.safeParse('Web').success).toBe(false);
    expect(envVarName.safeParse('_PATH2').success).toBe(true);
    expect(envVarName.safeParse('2PATH').success).toBe(false);
    expect(envVarName.safeParse('MY-VAR').success).toBe(false);
  });
});
