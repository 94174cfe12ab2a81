/**
 * `readJsonObject(ctx, limit)`: the small JSON object bodies of the API; `readForm(ctx, limit)`:
 * the form of an OpenID provider's back-channel logout. Over loopback HTTP with raw
 * requests (declared lengths, chunked bodies), on a Koa app that answers what it read or the
 * `400 bad_request` it threw.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import { MAX_BODY_BYTES } from '../../shared/protocol';
import { SessionWatchHttpError } from '../errors';
import { readForm, readJsonObject } from './body';

interface Answer {
  status: number;
  body: { read?: unknown; error?: string; message?: string };
}

let server: http.Server;
let parsed: http.Server;

/** `?limit=` sets the limit; otherwise the default. */
function app(withBodyParser: boolean): Koa {
  const koa = new Koa();
  if (withBodyParser) koa.use(bodyParser({ enableTypes: ['json', 'text', 'form'], encoding: 'utf-8' }));
  koa.use(async (ctx) => {
    try {
      const limit = ctx.query.limit === undefined ? undefined : Number(ctx.query.limit);
      // `/form`: the fields read, in order, as [name, value] pairs.
      ctx.body = { read: ctx.path === '/form' ? [...(await readForm(ctx, limit ?? 100))] : await readJsonObject(ctx, limit) };
    } catch (err) {
      if (!(err instanceof SessionWatchHttpError)) throw err;
      ctx.status = err.status;
      ctx.body = { error: err.code, message: err.message };
    }
  });
  return koa;
}

async function serve(koa: Koa): Promise<http.Server> {
  const handle = koa.callback();
  const s = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return s;
}

beforeAll(async () => {
  server = await serve(app(false));
  parsed = await serve(app(true));
});
afterAll(async () => {
  for (const s of [server, parsed]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/**
 * POSTs `chunks` to `target`: with a Content-Length (the real one unless `declared` says
 * otherwise), or chunked when `declared` is null.
 */
function post(
  target: http.Server,
  chunks: string[],
  { type = 'application/json', declared, path = '/' }: { type?: string | null; declared?: number | null; path?: string } = {},
): Promise<Answer> {
  const body = chunks.join('');
  const headers: Record<string, string> = {};
  if (type !== null) headers['content-type'] = type;
  if (declared !== null) headers['content-length'] = String(declared ?? Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: (target.address() as AddressInfo).port, method: 'POST', path, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Answer['body'] }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const refused = (message: string) => ({ status: 400, body: { error: 'bad_request', message } });

test('a JSON object is read, whatever the charset parameter of its type, sent at once or chunked', async () => {
  expect(await post(server, ['{"idleFor":3,"nested":{"a":[1]}}'])).toEqual({
    status: 200,
    body: { read: { idleFor: 3, nested: { a: [1] } } },
  });
  expect(await post(server, ['{"a":1}'], { type: 'application/json; charset=utf-8' })).toEqual({ status: 200, body: { read: { a: 1 } } });
  expect(await post(server, ['{"a"', ':', '"ü"}'], { declared: null })).toEqual({ status: 200, body: { read: { a: 'ü' } } });
});

test.each([
  ['text/plain', 'text/plain', '{"a":1}'],
  ['a form', 'application/x-www-form-urlencoded', 'a=1'],
  ['multipart', 'multipart/form-data; boundary=x', '--x--'],
  ['none', null, '{"a":1}'],
])('Content-Type %s is refused', async (_name, type, body) => {
  expect(await post(server, [body], { type })).toEqual(refused('Content-Type must be application/json'));
});

test.each([
  ['empty', ''],
  ['blank', ' \n\t '],
  ['null', 'null'],
  ['an array', '[1,2]'],
  ['a string', '"idleFor"'],
  ['a number', '42'],
  ['true', 'true'],
])('%s is not a JSON object', async (_name, body) => {
  expect(await post(server, [body])).toEqual(refused('Body must be a JSON object'));
});

test.each(['{"idleFor":', '{idleFor: 1}', "{'a':1}", '{"a":NaN}', '{"a":1}}'])('%s is not valid JSON', async (body) => {
  expect(await post(server, [body])).toEqual(refused('Body is not valid JSON'));
});

test('the default limit is MAX_BODY_BYTES: a body of exactly that size is read, one byte more is refused', async () => {
  const of = (size: number) => `{"pad":"${'x'.repeat(size - 10)}"}`;
  expect(Buffer.byteLength(of(MAX_BODY_BYTES))).toBe(MAX_BODY_BYTES);
  expect((await post(server, [of(MAX_BODY_BYTES)])).status).toBe(200);
  expect(await post(server, [of(MAX_BODY_BYTES + 1)])).toEqual(refused(`Body exceeds ${MAX_BODY_BYTES} bytes`));
});

test('a declared Content-Length over the limit is refused without reading the body', async () => {
  // Declares more than the limit but sends a small, valid body: only the declaration can refuse it.
  const small = '{"a":1}';
  const answer = await new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        method: 'POST',
        path: '/?limit=100',
        headers: { 'content-type': 'application/json', 'content-length': '101' },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Answer['body'] }));
      },
    );
    req.on('error', reject);
    req.write(small); // never completes the declared 101 bytes: the answer must not wait for them
  });
  expect(answer).toEqual(refused('Body exceeds 100 bytes'));
});

test('a chunked body (no Content-Length) is cut at the limit, and the connection still answers', async () => {
  const chunks = Array.from({ length: 20 }, (_, i) => (i === 0 ? '{"pad":"' : 'x'.repeat(10)));
  expect(await post(server, chunks, { declared: null, path: '/?limit=100' })).toEqual(refused('Body exceeds 100 bytes'));
  expect(await post(server, ['{"a":1}'], { declared: null, path: '/?limit=100' })).toEqual({ status: 200, body: { read: { a: 1 } } });
});

test('chunked, the limit counts every byte received: exactly the limit is read, one byte more is refused', async () => {
  // 10 chunks of 10 bytes: {"pad":"…"} of 100 bytes, then the same with one more byte.
  const of = (size: number) => `{"pad":"${'x'.repeat(size - 10)}"}`.match(/.{1,10}/g)!;
  expect((await post(server, of(100), { declared: null, path: '/?limit=100' })).status).toBe(200);
  expect(await post(server, of(101), { declared: null, path: '/?limit=100' })).toEqual(refused('Body exceeds 100 bytes'));
});

test('a body a body parser already read is reused; a non-object there is refused too', async () => {
  expect(await post(parsed, ['{"idleFor":5}'])).toEqual({ status: 200, body: { read: { idleFor: 5 } } });
  expect(await post(parsed, ['[1,2]'])).toEqual(refused('Body must be a JSON object'));
});

test('a body parser mounted first changes nothing: the limit and the content type hold, declared or chunked', async () => {
  const big = `{"idleFor":5,"pad":"${'x'.repeat(MAX_BODY_BYTES)}"}`;
  const tooBig = refused(`Body exceeds ${MAX_BODY_BYTES} bytes`);
  expect(await post(parsed, [big])).toEqual(tooBig);
  expect(await post(parsed, [big.slice(0, 100), big.slice(100)], { declared: null })).toEqual(tooBig);
  expect(await post(parsed, ['{"a":1}'], { path: '/?limit=5' })).toEqual(refused('Body exceeds 5 bytes'));
  expect(await post(parsed, ['reason=expired'], { type: 'application/x-www-form-urlencoded' })).toEqual(
    refused('Content-Type must be application/json'),
  );
  expect(await post(parsed, ['{"reason":"expired"}'], { type: 'text/plain' })).toEqual(refused('Content-Type must be application/json'));
  // And for the form of the back-channel logout: its own type, and its limit.
  expect(await post(parsed, ['{"logout_token":"a.b.c"}'], { path: '/form' })).toEqual(
    refused('Content-Type must be application/x-www-form-urlencoded'),
  );
  expect(
    await post(parsed, [`logout_token=${'x'.repeat(100)}`], { type: 'application/x-www-form-urlencoded', path: '/form', declared: null }),
  ).toEqual(refused('Body exceeds 100 bytes'));
});

describe('readForm', () => {
  const FORM = 'application/x-www-form-urlencoded';

  test('the fields of a form, percent-decoded, repeated ones kept, whatever the charset parameter; also from a body parser', async () => {
    const body = 'logout_token=eyJ.a%2Bb.c&x=%C3%BC&x=2';
    const fields = [
      ['logout_token', 'eyJ.a+b.c'],
      ['x', 'ü'],
      ['x', '2'],
    ];
    expect(await post(server, [body], { type: FORM, path: '/form' })).toEqual({ status: 200, body: { read: fields } });
    expect(await post(server, ['logout_token=a', '.b.c'], { type: `${FORM}; charset=UTF-8`, path: '/form', declared: null })).toEqual({
      status: 200,
      body: { read: [['logout_token', 'a.b.c']] },
    });
    expect(await post(parsed, [body], { type: FORM, path: '/form' })).toEqual({ status: 200, body: { read: fields } });
  });

  test('names are data: __proto__ is a field like any other', async () => {
    expect(await post(server, ['__proto__=1&constructor=2'], { type: FORM, path: '/form' })).toEqual({
      status: 200,
      body: {
        read: [
          ['__proto__', '1'],
          ['constructor', '2'],
        ],
      },
    });
  });

  test.each([
    ['JSON', 'application/json', '{"logout_token":"a.b.c"}'],
    ['text', 'text/plain', 'logout_token=a.b.c'],
    ['none', null, 'logout_token=a.b.c'],
  ])('Content-Type %s is refused', async (_name, type, body) => {
    const answer = refused('Content-Type must be application/x-www-form-urlencoded');
    expect(await post(server, [body], { type, path: '/form' })).toEqual(answer);
  });

  test('a body over the limit is refused, declared or sent', async () => {
    const big = `logout_token=${'x'.repeat(100)}`;
    expect(await post(server, [big], { type: FORM, path: '/form' })).toEqual(refused('Body exceeds 100 bytes'));
    expect(await post(server, [big.slice(0, 50), big.slice(50)], { type: FORM, path: '/form', declared: null })).toEqual(
      refused('Body exceeds 100 bytes'),
    );
  });
});
