import type { Context } from 'koa';

/**
 * A rule naming requests that must not count as user activity:
 * - `'/health'`: that exact path;
 * - `'/api/notifications/*'`: that path and everything below it;
 * - a RegExp tested against the path;
 * - a function of the Koa context.
 */
export type PassiveRule = string | RegExp | ((ctx: Context) => boolean);

/** Compiles passive rules into one predicate; throws a TypeError naming a bad rule. */
export function compilePassive(rules: PassiveRule | PassiveRule[] | undefined): (ctx: Context) => boolean {
  const list = rules === undefined ? [] : Array.isArray(rules) ? rules : [rules];
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const tests: Array<(ctx: Context) => boolean> = [];
  list.forEach((rule, index) => {
    if (typeof rule === 'string') {
      if (!rule.startsWith('/')) {
        throw new TypeError(`sessionwatch: passive[${index}] must start with "/" (got ${JSON.stringify(rule)})`);
      }
      if (rule.endsWith('/*')) prefixes.push(rule.slice(0, -1));
      else exact.add(rule);
    } else if (rule instanceof RegExp) {
      // A global or sticky RegExp keeps state between tests; copy it without those flags.
      const pattern = new RegExp(rule.source, rule.flags.replace(/[gy]/g, ''));
      tests.push((ctx) => pattern.test(ctx.path));
    } else if (typeof rule === 'function') {
      tests.push(rule);
    } else {
      throw new TypeError(`sessionwatch: passive[${index}] must be a path string, a RegExp or a function`);
    }
  });
  return (ctx) => {
    const path = ctx.path;
    if (exact.has(path)) return true;
    for (const prefix of prefixes) {
      if (path.startsWith(prefix) || path === prefix.slice(0, -1)) return true;
    }
    return tests.some((test) => test(ctx));
  };
}
