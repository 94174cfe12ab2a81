import { describeValue } from '../../shared/option-checks';

/** What a `database` URL names. */
export type DatabaseUrl =
  | { kind: 'postgres'; url: string }
  /** `filename` is `:memory:` or a path (relative to the working directory, or absolute). */
  | { kind: 'sqlite'; filename: string };

const FORMS = '"postgres://…", "postgresql://…", "sqlite:./path/to/file.sqlite", "sqlite:/absolute/path.sqlite" or "sqlite::memory:"';

/**
 * Parses a `database` URL, without touching the disk. The accepted forms:
 * - `postgres://user@host:5432/db` or `postgresql://…` (any URL `pg` accepts);
 * - `sqlite:<path>`: an SQLite file, relative to the working directory (`sqlite:./data/s.sqlite`,
 *   `sqlite:data/s.sqlite`) or absolute (`sqlite:/var/lib/app/s.sqlite`, also `sqlite:///var/…`);
 * - `sqlite::memory:`: an in-memory database (gone when the process ends; one process only).
 *
 * Anything else throws a TypeError: a typo such as `postgress://` must never become a file path.
 */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  const bad = (why: string) =>
    new TypeError(
      `sessionwatch: option "database" ${why} (got ${describeValue(redact(url))}); expected ${FORMS}, a Knex instance or a Store`,
    );
  if (/^postgres(ql)?:\/\//i.test(url)) {
    let host = '';
    try {
      host = new URL(url).hostname;
    } catch {
      /* below */
    }
    // A socket directory goes in `?host=`; the URL itself still names a host.
    if (!host) throw bad('is not a valid Postgres URL');
    return { kind: 'postgres', url };
  }
  const sqlite = /^sqlite:(.*)$/is.exec(url);
  if (!sqlite) throw bad('has an unsupported scheme');
  const rest = sqlite[1];
  if (rest === ':memory:') return { kind: 'sqlite', filename: ':memory:' };
  // `sqlite:///abs` has an empty host; `sqlite://name/…` would put a host where a path belongs.
  if (rest.startsWith('//') && !rest.startsWith('///')) throw bad('must name a file, not a host');
  const filename = rest.startsWith('///') ? rest.slice(2) : rest;
  if (filename.trim() === '' || /[\0]/.test(filename)) throw bad('must name a file');
  return { kind: 'sqlite', filename };
}

/** A URL without its password, for error messages. */
export function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
