// Starts GraphiQL with the settings the page carries in its
// #graphiql-settings JSON element. This file is served from the page's own
// origin, so the page's Content-Security-Policy needs no inline script.
(function () {
  'use strict';

  var settings = JSON.parse(document.getElementById('graphiql-settings').textContent);
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  var fetcher = newFetcher();
  // The headers the schema was last asked for with.
  var schemaHeaders = settings.defaultHeaders;
  var pending = 0;

  function newFetcher() {
    return GraphiQL.createFetcher({ url: settings.endpoint, enableIncrementalDelivery: false });
  }

  // Headers GraphiQL can send: empty, or a JSON object.
  function sendable(headers) {
    if (headers.trim() === '') {
      return true;
    }
    try {
      var h = JSON.parse(headers);
      return h !== null && typeof h === 'object' && !Array.isArray(h);
    } catch (e) {
      return false;
    }
  }

  // Whether GraphiQL may ask for the schema: the service answers
  // introspection, and the key placeholder has been replaced.
  function schemaWanted() {
    return settings.introspection &&
      !(settings.keyPlaceholder && schemaHeaders.indexOf(settings.keyPlaceholder) >= 0);
  }

  // GraphiQL asks for the schema when it starts and whenever its fetcher
  // or its schema prop changes. Once the headers have changed (a key was
  // typed in), a new fetcher has it ask again with them, so the
  // documentation explorer and autocompletion fill in without a reload.
  function onEditHeaders(headers) {
    clearTimeout(pending);
    pending = setTimeout(function () {
      if (headers === schemaHeaders || !sendable(headers)) {
        return;
      }
      schemaHeaders = headers;
      fetcher = newFetcher();
      render();
    }, 700);
  }

  function render() {
    var props = {
      fetcher: fetcher,
      defaultQuery: settings.defaultQuery,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: 'headers',
      // Keys stay out of the browser's storage.
      shouldPersistHeaders: false
    };
    if (settings.defaultHeaders) {
      props.defaultHeaders = settings.defaultHeaders;
    }
    if (settings.introspection) {
      props.onEditHeaders = onEditHeaders;
    }
    if (!schemaWanted()) {
      // No schema to ask for: introspection is off, or the request would
      // carry the placeholder and be refused.
      props.schema = null;
    }
    root.render(React.createElement(GraphiQL, props,
      React.createElement(GraphiQL.Logo, null, settings.title)));
  }

  render();
})();
