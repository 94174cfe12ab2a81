/**
 * Server rendering (no window): the provider creates and starts nothing, and the hook renders the
 * initial state, so the markup matches the first browser render; the same with the headless React
 * entry given a client created on the server (creating one runs nothing).
 */
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { createSessionWatchClient } from './core';
import { SessionWatchProvider, useSessionWatch } from './react';
import { SessionWatchProvider as HeadlessProvider } from './react-core';

test('server rendering starts no client and renders the initial state', () => {
  function Status() {
    const { phase, warning, ended, client } = useSessionWatch();
    return createElement('p', null, `${phase} ${warning} ${ended} ${client === null}`);
  }
  const html = renderToString(createElement(SessionWatchProvider, { options: { apiPrefix: '/session' } }, createElement(Status)));
  expect(html).toBe('<p>active false false true</p>');
});

test('server rendering with the headless provider: the initial state, the client not started', () => {
  const sw = createSessionWatchClient({
    transport: { ping: () => Promise.reject(new Error('no ping on the server')), logout: () => Promise.reject(new Error('no')) },
  });
  const start = jest.spyOn(sw, 'start');
  function Status() {
    const { phase, warning, client } = useSessionWatch();
    return createElement('p', null, `${phase} ${warning} ${client === sw}`);
  }
  expect(renderToString(createElement(HeadlessProvider, { client: sw }, createElement(Status)))).toBe('<p>active false true</p>');
  expect(renderToString(createElement(HeadlessProvider, { client: null }, createElement(Status)))).toBe('<p>active false false</p>');
  expect(start).not.toHaveBeenCalled();
});
