/**
 * `sessionwatch/redis`: a koa-session external store on Redis (ioredis, an optional peer
 * dependency the app installs and connects itself).
 */
export {
  redisSessionStore,
  DEFAULT_REDIS_PREFIX,
  DEFAULT_SESSION_TTL,
  type RedisSessionClient,
  type RedisSessionStore,
  type RedisSessionStoreOptions,
} from './redis-session-store';
