/**
 * Usage answers: the usage read model cut into days (daily-usage.ts), for the organization or one
 * member, with the caller's rights applied: an admin sees every owner, a member their own and
 * their groups'.
 */
import type { UsageViews } from '../ports/usage-views.ts';
import type { Clock } from '../ports/platform-clock.ts';
import type { User } from '../domain/identity/principal-decider.ts';
import { mayAccess, visibleOwners } from '../domain/identity/access.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { Organization } from '../domain/identity/organization.ts';
import { dailyUsage, type DailyUsageRow, type UsageGroup } from '../domain/usage/daily-usage.ts';
import type { UsageInterval } from '../domain/usage/usage-intervals.ts';
import type { PriceTable } from '../domain/usage/instance-prices.ts';

export interface UsageQuery {
  orgId: string;
  /** The member route: only what this user owns. */
  memberId?: string;
  firstDay: string;
  lastDay: string;
  timeZone: string;
  owner?: string;
  resourceId?: string;
  size?: string;
  groupBy?: UsageGroup[];
}

export interface UsageServiceDeps {
  usageViews: UsageViews;
  clock: Clock;
  organization: Organization;
  prices?: PriceTable;
}

export class UsageService {
  constructor(private readonly deps: UsageServiceDeps) {}

  /** Whether answers carry a cost. */
  get priced(): boolean {
    return this.deps.prices !== undefined;
  }

  async daily(user: User, query: UsageQuery): Promise<DailyUsageRow[]> {
    if (query.orgId !== this.deps.organization.id) throw new NotFoundError(`No organization ${query.orgId}; this installation is ${this.deps.organization.id}.`);
    // Another member's usage is not the caller's to know exists.
    if (query.memberId !== undefined && !(user.admin || user.username === query.memberId)) throw new NotFoundError(`No member ${query.memberId} visible to you.`);
    const owners = this.ownersFor(user, query);
    const { intervals, names } = await this.intervals();
    return dailyUsage(intervals, names, {
      firstDay: query.firstDay,
      lastDay: query.lastDay,
      timeZone: query.timeZone,
      now: this.deps.clock.now().getTime(),
      owners,
      resourceId: query.resourceId,
      size: query.size,
      groupBy: query.groupBy,
      prices: this.deps.prices,
    });
  }

  /** Every interval and resource name the read model holds. */
  async intervals(): Promise<{ intervals: UsageInterval[]; names: Record<string, string> }> {
    const folds = await this.deps.usageViews.all();
    return { intervals: folds.flatMap((f) => f.intervals), names: Object.assign({}, ...folds.map((f) => f.names)) as Record<string, string> };
  }

  private ownersFor(user: User, query: UsageQuery): Set<string> | undefined {
    let owners: Set<string> | undefined = query.memberId !== undefined ? new Set([query.memberId]) : user.admin ? undefined : new Set(visibleOwners(user));
    if (query.owner !== undefined) {
      // An owner the caller may not see filters to nothing rather than saying whether it exists.
      owners = mayAccess(user, query.owner) && (owners === undefined || owners.has(query.owner)) ? new Set([query.owner]) : new Set();
    }
    return owners;
  }
}
