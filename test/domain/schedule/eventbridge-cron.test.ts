import { describe, expect, it } from 'vitest';
import { toEventBridgeCron } from '../../../shared/domain/schedule/eventbridge-cron.ts';

describe('toEventBridgeCron', () => {
  it.each([
    // day-of-week numbering: cron 0-6 from Sunday (7 is Sunday too), EventBridge 1-7 from Sunday
    ['0 9 * * 1-5', ['cron(0 9 ? * 2-6 *)']],
    ['0 0 * * 0', ['cron(0 0 ? * 1 *)']],
    ['0 0 * * 7', ['cron(0 0 ? * 1 *)']],
    ['0 0 * * 6,0', ['cron(0 0 ? * 1,7 *)']],
    ['0 0 * * 5-7', ['cron(0 0 ? * 1,6,7 *)']],
    ['0 0 * * sun', ['cron(0 0 ? * 1 *)']],
    ['0 0 * * MON-FRI', ['cron(0 0 ? * 2-6 *)']],
    // steps are not allowed in EventBridge's day-of-week: they become lists
    ['0 0 * * */2', ['cron(0 0 ? * 1,3,5,7 *)']],
    ['0 0 * * 1-6/3', ['cron(0 0 ? * 2,5 *)']],
    // `?` goes into whichever day field is unrestricted
    ['*/15 * * * *', ['cron(*/15 * * * ? *)']],
    ['0 0 1 * ?', ['cron(0 0 1 * ? *)']],
    ['0 0 ? * mon', ['cron(0 0 ? * 2 *)']],
    ['0 12 1,15 * *', ['cron(0 12 1,15 * ? *)']],
    // ranges, lists and steps in the other fields pass through; month names become numbers
    ['5,35 9-17/2 * jan-jun *', ['cron(5,35 9-17/2 * 1-6 ? *)']],
    ['0 0 1 DEC *', ['cron(0 0 1 12 ? *)']],
    // cron ORs a restricted day-of-month with a restricted day-of-week: two expressions
    ['0 0 13 * 5', ['cron(0 0 13 * ? *)', 'cron(0 0 ? * 6 *)']],
    // macros
    ['@hourly', ['cron(0 * * * ? *)']],
    ['@daily', ['cron(0 0 * * ? *)']],
    ['@midnight', ['cron(0 0 * * ? *)']],
    ['@weekly', ['cron(0 0 ? * 1 *)']],
    ['@monthly', ['cron(0 0 1 * ? *)']],
    ['@yearly', ['cron(0 0 1 1 ? *)']],
    ['@annually', ['cron(0 0 1 1 ? *)']],
  ])('translates %j', (cron, expected) => {
    expect(toEventBridgeCron(cron)).toEqual(expected);
  });

  it('refuses what is not five-field cron', () => {
    expect(() => toEventBridgeCron('0 0 * * * *')).toThrow(/5 fields/);
    expect(() => toEventBridgeCron('@reboot')).toThrow(/unknown macro/);
  });
});
