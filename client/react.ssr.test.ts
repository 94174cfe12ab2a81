/**
 * Server rendering (no window): the provider creates and starts nothing, and the hook renders the
 * initial state, so the markup matches the first browser render.
 */
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { SessionWatchProvider, useSessionWatch } from './react';

test('server rendering starts no client and renders the initial state', () => {
  function Status() {
    const { phase, warning, ended, client } = useSessionWatch();
    return createElement('p', null, `${phase} ${warning} ${ended} ${client === null}`);
  }
  const html = renderToString(createElement(SessionWatchProvider, { options: { apiPrefix: '/session' } }, createElement(Status)));
  expect(html).toBe('<p>active false false true</p>');
});
