import type { Context } from 'koa';
import { compilePassive } from './passive';

const ctx = (path: string, extra: Partial<Context> = {}) => ({ path, ...extra }) as Context;

describe('passive rules', () => {
  const isPassive = compilePassive(['/health', '/api/notifications/*', /\.(css|js|png)$/g, (c) => c.get?.('x-background') === '1']);

  test('an exact path matches only itself', () => {
    expect(isPassive(ctx('/health'))).toBe(true);
    expect(isPassive(ctx('/health/deep'))).toBe(false);
    expect(isPassive(ctx('/healthz'))).toBe(false);
  });

  test('a path ending in /* matches that path and everything below it', () => {
    expect(isPassive(ctx('/api/notifications'))).toBe(true);
    expect(isPassive(ctx('/api/notifications/count'))).toBe(true);
    expect(isPassive(ctx('/api/notificationsX'))).toBe(false);
    expect(isPassive(ctx('/api/messages'))).toBe(false);
  });

  test('a RegExp is tested against the path, the same way every time (global flag ignored)', () => {
    expect(isPassive(ctx('/app.js'))).toBe(true);
    expect(isPassive(ctx('/app.js'))).toBe(true);
    expect(isPassive(ctx('/app.json'))).toBe(false);
  });

  test('a function decides from the context', () => {
    expect(isPassive(ctx('/x', { get: (h: string) => (h === 'x-background' ? '1' : '') }))).toBe(true);
    expect(isPassive(ctx('/x', { get: () => '' }))).toBe(false);
  });

  test('no rules: nothing is passive', () => {
    expect(compilePassive(undefined)(ctx('/health'))).toBe(false);
  });

  test('bad rules are refused at construction, naming the rule', () => {
    expect(() => compilePassive(['health'])).toThrow(/passive\[0\] must start with "\/"/);
    expect(() => compilePassive(['/ok', 42 as never])).toThrow(/passive\[1\]/);
  });
});
