import { LogOnce } from './log-once';

function setup() {
  const lines: string[] = [];
  const log = new LogOnce({ error: (message) => lines.push(message) }, 'sessionwatch_sessions');
  return { lines, log };
}

describe('LogOnce', () => {
  it('says each database error once per outage, and again after the database has worked', () => {
    const lines: string[] = [];
    let time = 0;
    const log = new LogOnce({ error: (message) => lines.push(message) }, 'sessionwatch_sessions', () => time);
    log.observeStore(new Error('connection refused'));
    log.observeStore(new Error('connection refused'));
    expect(lines).toEqual(['sessionwatch: session database error (requests fail closed with 503): connection refused']);
    log.observeStore(undefined);
    time += 120_000;
    log.observeStore(new Error('connection refused'));
    expect(lines).toHaveLength(2);
  });

  it('a flapping database (calls failing between calls that work) repeats an error at most once a minute', () => {
    const lines: string[] = [];
    let time = 0;
    const log = new LogOnce({ error: (message) => lines.push(message) }, 'sessionwatch_sessions', () => time);
    for (let i = 0; i < 50; i++) {
      log.observeStore(new Error('store call timed out after 5000 ms'));
      log.observeStore(undefined);
      time += 1_000;
    }
    expect(lines).toHaveLength(1);
    time += 60_000;
    log.observeStore(new Error('store call timed out after 5000 ms'));
    log.observeStore(new Error('another error'));
    expect(lines).toEqual([
      'sessionwatch: session database error (requests fail closed with 503): store call timed out after 5000 ms',
      'sessionwatch: session database error (requests fail closed with 503): store call timed out after 5000 ms',
      'sessionwatch: session database error (requests fail closed with 503): another error',
    ]);
  });

  it('describes what was thrown even when it is not an Error: a message field, a cycle, a string', () => {
    const { lines, log } = setup();
    const cyclic: Record<string, unknown> = { code: 'X' };
    cyclic.self = cyclic;
    expect(() => log.observeStore(cyclic)).not.toThrow();
    log.observeStore({ message: 'pool timeout' });
    log.observeStore('socket hang up');
    expect(lines).toEqual([
      'sessionwatch: session database error (requests fail closed with 503): [object Object]',
      'sessionwatch: session database error (requests fail closed with 503): pool timeout',
      'sessionwatch: session database error (requests fail closed with 503): socket hang up',
    ]);
  });

  it('turns a missing table into one configuration message saying to run migrate()', () => {
    const { lines, log } = setup();
    log.observeStore(Object.assign(new Error('relation "sessionwatch_sessions" does not exist'), { code: '42P01' }));
    log.observeStore(new Error('SQLITE_ERROR: no such table: sessionwatch_sessions'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /"sessionwatch_sessions" \(or its security log "sessionwatch_sessions_events"\) does not exist or is older than this version of sessionwatch: run migrate\(\)/,
    );
  });

  it('survives a logger that throws', () => {
    const log = new LogOnce(
      {
        error: () => {
          throw new Error('logger down');
        },
      },
      't',
    );
    expect(() => log.observeStore(new Error('x'))).not.toThrow();
    expect(log.configError('k', 'bad option').message).toBe('bad option');
  });
});
