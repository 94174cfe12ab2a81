/**
 * The React app of `react.test.ts`, bundled by the test (see {@link reactPageBundle}) and run in
 * the example's `/form` page after the page's own client started, as a single-page app renders
 * after its scripts load. It replaces the server's form fields with a React-controlled textarea,
 * and renders React's own state next to it: the textarea's length, and the hook's `secondsLeft`
 * for the page's client (`window.__sessionwatch`), handed to the provider of the headless React
 * entry (`sessionwatch/react/core`) as an app that created its client itself does.
 */
import { createElement, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { SessionWatchProvider, useSessionWatch } from '../client/react-core';

function Editor() {
  const [body, setBody] = useState('');
  const { secondsLeft, phase } = useSessionWatch();
  return createElement(
    'div',
    null,
    createElement('textarea', {
      id: 'react-body',
      name: 'body',
      value: body,
      onChange: (e: { target: HTMLTextAreaElement }) => setBody(e.target.value),
    }),
    createElement('output', { id: 'react-length' }, String(body.length)),
    createElement('output', { id: 'react-seconds' }, String(secondsLeft)),
    createElement('output', { id: 'react-phase' }, phase),
  );
}

const form = document.getElementById('long-form')!;
form.replaceChildren();
createRoot(form).render(createElement(SessionWatchProvider, { client: window.__sessionwatch ?? null }, createElement(Editor)));
