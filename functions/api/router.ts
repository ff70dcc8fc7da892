/** Matches a method and path against the route table; templates use `{param}` segments. */
import type { MatchedRoute, RouteDefinition } from './api-types.ts';

interface CompiledRoute {
  definition: RouteDefinition;
  pattern: RegExp;
  names: string[];
}

export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(readonly routes: readonly RouteDefinition[]) {
    this.compiled = routes.map((definition) => {
      const names: string[] = [];
      const source = definition.path
        .split('/')
        .map((segment) => {
          const m = /^\{(\w+)\}$/.exec(segment);
          if (!m) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
          names.push(m[1]!);
          return '([^/]+)';
        })
        .join('/');
      return { definition, pattern: new RegExp(`^${source}/?$`), names };
    });
  }

  match(method: string, path: string): MatchedRoute | undefined {
    for (const route of this.compiled) {
      if (route.definition.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      try {
        route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1]!)));
      } catch {
        return undefined;
      }
      return { definition: route.definition, params };
    }
    return undefined;
  }
}
