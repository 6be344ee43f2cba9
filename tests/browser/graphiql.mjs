// Drives the development GraphiQL page in headless Chromium over the DevTools protocol: the page
// loads, a query runs from the execute button, the documentation explorer shows the schema, a
// dialog opens, and a subscription signed in through the Headers tab receives an event over
// graphql-ws. Every request the browser makes is recorded: one to anywhere but the server, a
// script error, a refused resource or a Content-Security-Policy violation fails the check.
// Run by `graphiql.sh`, which starts the browser; needs Node 20+ (`--experimental-websocket`).
const base = process.env.BASE ?? 'http://127.0.0.1:8080';
const debug = process.env.DEBUG_URL ?? 'http://127.0.0.1:9333';
// The demo data's partner account (`services/demo`), whose organisation receives referrals.
const partner = { email: 'partner@oksana.example.tj', password: 'Demo-Partner-Oksana-2026' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const targets = await (await fetch(`${debug}/json/list`)).json();
const socket = new WebSocket(targets.find((target) => target.type === 'page').webSocketDebuggerUrl);
await new Promise((resolve) => socket.addEventListener('open', resolve));
let lastId = 0;
const pending = new Map();
const requests = [];
const frames = [];
const failures = [];
// Noted but not failures: the browser's own request for /favicon.ico, and React warnings from
// inside GraphiQL's bundle.
const notes = [];
let step = 'load';
socket.addEventListener('message', ({ data }) => {
  const message = JSON.parse(data);
  if (message.id && pending.has(message.id)) {
    pending.get(message.id)(message);
    pending.delete(message.id);
    return;
  }
  const p = message.params ?? {};
  switch (message.method) {
    case 'Network.requestWillBeSent': requests.push(p.request.url); break;
    case 'Network.webSocketCreated': requests.push(p.url); break;
    case 'Network.webSocketFrameSent': frames.push(['sent', p.response.payloadData]); break;
    case 'Network.webSocketFrameReceived': frames.push(['received', p.response.payloadData]); break;
    case 'Network.responseReceived':
      if (p.response.status >= 400) {
        const list = p.response.url.endsWith('/favicon.ico') ? notes : failures;
        list.push(`${step}: ${p.response.status} for ${p.response.url}`);
      }
      break;
    case 'Network.loadingFailed':
      failures.push(`${step}: failed ${p.errorText} ${p.blockedReason ?? ''}`);
      break;
    case 'Runtime.exceptionThrown':
      failures.push(`${step}: ${p.exceptionDetails.exception?.description ?? p.exceptionDetails.text}`);
      break;
    case 'Runtime.consoleAPICalled':
      if (p.type === 'error') failures.push(`${step}: console.error ${p.args.map((a) => a.value ?? a.description).join(' ')}`);
      if (p.type === 'warning') notes.push(`${step}: console.warn ${p.args.map((a) => a.value ?? a.description).join(' ')}`);
      break;
    case 'Log.entryAdded':
      // A refused request is judged by its status above; anything else logged (a policy
      // violation above all) fails.
      (p.entry.source === 'network' ? notes : failures).push(`${step}: ${p.entry.level} ${p.entry.source}: ${p.entry.text}`);
      break;
  }
});
const send = (method, params = {}) => new Promise((resolve) => {
  lastId += 1;
  pending.set(lastId, resolve);
  socket.send(JSON.stringify({ id: lastId, method, params }));
});
const evaluate = async (expression) => {
  const answer = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
  if (answer.result?.exceptionDetails) throw new Error(JSON.stringify(answer.result.exceptionDetails));
  return answer.result?.result?.value;
};
const graphql = async (query, token) => (await fetch(`${base}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify({ query }),
})).json();
const until = async (what, test, seconds = 15) => {
  for (let i = 0; i < seconds * 4; i += 1) {
    const value = await what();
    if (test(value)) return value;
    await sleep(250);
  }
  throw new Error(`${step}: timed out; last: ${await what()}`);
};
const oneLine = (text) => text.replace(/\s+/g, ' ').slice(0, 160);
const response = () => evaluate(`document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() ?? ''`);
const run = async (document) => {
  await evaluate(`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(${JSON.stringify(document)})`);
  // GraphiQL parses the document a moment after it changes, and tells a subscription by it.
  await sleep(1000);
  await evaluate(`document.querySelector('.graphiql-execute-button').click()`);
};

await send('Network.enable');
await send('Runtime.enable');
await send('Log.enable');
await send('Page.enable');
await send('Page.navigate', { url: `${base}/graphql` });
await until(() => evaluate(`!!document.querySelector('.graphiql-query-editor .CodeMirror')`), Boolean);
console.log('GraphiQL rendered');

step = 'query';
await run('{ organisations(first: 2) { totalCount } }');
console.log('query:', oneLine(await until(response, (text) => text.includes('totalCount'))));

step = 'schema';
await evaluate(`document.querySelector('button[aria-label="Show Documentation Explorer"]').click()`);
console.log('documentation explorer:', oneLine(await until(
  () => evaluate(`document.querySelector('.graphiql-doc-explorer')?.innerText ?? ''`),
  (text) => text.includes('subscription: Subscription'),
)));

step = 'dialog';
await evaluate(`document.querySelector('button[aria-label="Open settings dialog"]').click()`);
console.log('settings dialog:', oneLine(await until(() => evaluate(`document.querySelector('[role=dialog]')?.innerText ?? ''`), (text) => text.length > 0)));
await evaluate(`[...document.querySelectorAll('[role=dialog] button')].find((b) => b.innerText.includes('Close dialog')).click()`);
await until(() => evaluate(`document.querySelector('[role=dialog]') === null`), Boolean);

step = 'subscription';
const token = (await graphql(`mutation { login(email: "${partner.email}", password: "${partner.password}") { accessToken } }`)).data.login.accessToken;
await evaluate(`[...document.querySelectorAll('.graphiql-editor-tools button')].find((b) => b.innerText.trim() === 'Headers').click()`);
await sleep(300);
await evaluate(`[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]
  .find((editor) => !editor.parentElement.classList.contains('hidden'))
  .CodeMirror.setValue(${JSON.stringify(JSON.stringify({ Authorization: `Bearer ${token}` }))})`);
await run('subscription { referralEvents { code change status } }');
await until(async () => frames.map(([, payload]) => payload).join(' '), (text) => text.includes('"subscribe"'));
// Something to hear: the partner moves one of its organisation's cases on.
const cases = await graphql('{ referralCases(first: 100) { edges { node { id status } } } }', token);
let changed = null;
for (const [status, mutation] of [['REFERRED', 'acceptReferralCase'], ['ACCEPTED', 'startReferralService']]) {
  for (const { node } of cases.data.referralCases.edges.filter(({ node }) => node.status === status)) {
    const answer = await graphql(`mutation { ${mutation}(id: "${node.id}") { code status } }`, token);
    if (!answer.errors) { changed = answer.data[mutation]; break; }
  }
  if (changed) break;
}
if (!changed) throw new Error('no case of the demo partner could be moved on: restart the server on a fresh database');
console.log('subscription:', oneLine(await until(response, (text) => text.includes(changed.code))));
console.log('WebSocket messages:', frames.map(([way, payload]) => `${way} ${JSON.parse(payload).type}`).join(', '));

// `data:` URLs are GraphiQL's fonts and images, inside its style sheet: no network.
const network = [...new Set(requests.filter((url) => !url.startsWith('data:')))];
const elsewhere = network.filter((url) => !url.startsWith(base) && !url.startsWith(base.replace(/^http/, 'ws')));
console.log('requests:', network.join(' '));
console.log('notes:', notes);
console.log('requests elsewhere:', elsewhere);
console.log('failures:', failures);
socket.close();
process.exit(elsewhere.length === 0 && failures.length === 0 ? 0 : 1);
