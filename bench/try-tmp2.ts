import { forkServer, loginSessions } from './lib/servers';
import { runLoad, roundRobinCookies } from './lib/load';
import autocannon from 'autocannon';
(async () => {
  const s = await forkServer({ variant: 'bare' });
  const { cookies } = await loginSessions(s.url, 1000);
  console.log(cookies[0]);
  const r = await fetch(s.url + '/me', { headers: { cookie: cookies[5] } });
  console.log(r.status, await r.text());
  const codes: Record<number, number> = {};
  const inst = autocannon({ url: s.url, duration: 2, connections: 4, requests: [{ method: 'GET', path: '/me', setupRequest: roundRobinCookies(cookies) }] }, (e, res) => { console.log(codes, res.requests.total); });
  inst.on('response', (_c: any, code: number) => { codes[code] = (codes[code] ?? 0) + 1; });
  await new Promise((r) => setTimeout(r, 3000));
  console.log(await runLoad({ url: s.url, duration: 2, connections: 4, overallRate: 200, requests: [{ method: 'GET', path: '/me', setupRequest: roundRobinCookies(cookies) }] }));
  await s.stop();
})();
