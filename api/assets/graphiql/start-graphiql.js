// Starts GraphiQL on the development page (`GET /graphql`). Queries and mutations are posted to
// the page's own address; subscriptions go to `graphql/ws` next to it over graphql-ws (the
// graphql-transport-ws protocol), through the graphql-ws client that graphiql.min.js bundles.
// GraphiQL hands the headers of its "Headers" tab to that client as the `connection_init`
// payload, so an `Authorization` header signs in subscriptions too.
// The addresses are relative so that the page works behind a proxy that serves the API under a
// path. This file is a script of its own, not inline, so that the page's policy can be
// `script-src 'self'`.
(function () {
  'use strict';
  var endpoint = new URL('graphql', window.location.href);
  var subscriptions = new URL('graphql/ws', window.location.href);
  subscriptions.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

  // While a dialog is open, GraphiQL adds a <style> element that stops the page scrolling. The
  // page's policy lets in the styles that carry this answer's nonce, and the bundle gives its
  // style elements the nonce of `__webpack_nonce__`.
  var nonce = document.querySelector('meta[name="graphiql-style-nonce"]');
  if (nonce && nonce.content) {
    window.__webpack_nonce__ = nonce.content;
  }

  var root = document.getElementById('graphiql');
  // Style properties set from a script are allowed by `style-src 'self'`; a style attribute or
  // element in the page would not be.
  document.body.style.margin = '0';
  root.style.height = '100vh';

  window.ReactDOM.createRoot(root).render(
    window.React.createElement(window.GraphiQL, {
      fetcher: window.GraphiQL.createFetcher({
        url: endpoint.href,
        subscriptionUrl: subscriptions.href,
      }),
      defaultEditorToolsVisibility: true,
    })
  );
})();
