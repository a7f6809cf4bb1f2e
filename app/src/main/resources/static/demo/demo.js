/*
 * pushgate demo page: the client library (/pushgate.js, from clients/ in the repository) connects
 * with WebSocket, falling back to SSE, then long-poll; this file only shows what it reports.
 *
 * URL options: ?token=<client token>  &transport=ws|sse|poll (only that one)
 *              &disable=ws | &disable=ws,sse (skip these)   &events=a,b (SSE: more event names)
 *
 * Every URL is relative to where the page is served, so the page also works under a proxy's
 * sub-path (https://example.com/push/demo/ talks to /push/ws, /push/sse, ...).
 */
(function () {
  'use strict';

  var params = new URLSearchParams(location.search);
  var base = location.pathname.replace(/\/demo(\/[^/]*)?$/, '');       // '' or e.g. '/push'
  var httpBase = location.origin + base;

  var ALL = ['ws', 'sse', 'poll'];
  var SSE_EVENTS = ['new_msg', 'chat', 'notice', 'demo'];

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    token: $('token'), choice: $('transport-choice'), transport: $('transport'), state: $('state'),
    clientId: $('client-id'), cursor: $('cursor'), messages: $('messages'), result: $('publish-result')
  };

  var client = null;       // the Pushgate client (../pushgate.js) of the current connection
  var extraEvents = (params.get('events') || '').split(',').map(trim).filter(Boolean);

  function trim(s) { return s.trim(); }

  function setState(state, detail) {
    ui.state.textContent = detail ? state + ' (' + detail + ')' : state;
    ui.state.dataset.state = state;
  }

  function setTransport(name) {
    ui.transport.textContent = name || 'none';
    ui.transport.dataset.transport = name || '';
  }

  function transportsFor(choice) {
    if (choice && choice !== 'auto') {
      return [choice];
    }
    var disabled = (params.get('disable') || '').split(',').map(trim);
    return ALL.filter(function (t) { return disabled.indexOf(t) < 0; });
  }

  function show(data, frame) {
    var li = document.createElement('li');
    li.className = 'message';
    li.dataset.event = frame.event || 'message';
    li.dataset.id = frame.id || '';
    li.dataset.transport = client.transport;
    var event = document.createElement('span');
    event.className = 'event';
    event.textContent = li.dataset.event;
    var code = document.createElement('code');
    code.className = 'data';
    code.textContent = JSON.stringify(data);
    var to = document.createElement('span');
    to.className = 'to';
    to.textContent = ' to ' + JSON.stringify(frame.to || {}) + ' via ' + client.transport;
    li.append(event, ' ', code, to);
    ui.messages.prepend(li);
    ui.cursor.textContent = client.cursor || '';
    while (ui.messages.children.length > 200) {
      ui.messages.lastChild.remove();
    }
  }

  function note(text, className) {
    var li = document.createElement('li');
    li.className = className;
    li.textContent = new Date().toLocaleTimeString() + ' ' + text;
    ui.messages.prepend(li);
  }

  function connect() {
    disconnect();
    var token = ui.token.value.trim();
    if (!token) {
      setState('idle', 'enter a token');
      return;
    }
    setState('connecting');
    client = Pushgate.connect({
      url: location.origin + base,
      token: token,
      transports: transportsFor(ui.choice.value),
      events: SSE_EVENTS.concat(extraEvents)
    });
    var mine = client;
    client.on('open', function (welcome, transport) {
      setTransport(transport);
      setState('open');
      ui.clientId.textContent = welcome.clientId || '';
    });
    client.on('message', show);
    client.on('reset', function (cursor) {
      ui.cursor.textContent = cursor || '';
      note('reset: some missed messages are gone; reload your state', 'reset');
    });
    client.on('close', function (info) {
      if (client !== mine) return;
      if (info.reconnecting) {
        setState('reconnecting', 'in ' + Math.round(info.delay / 100) / 10 + ' s');
      } else {
        setState('closed', info.code + ' ' + info.reason);
        note('closed ' + info.code + ' ' + info.reason + ': not reconnecting', 'notice');
      }
    });
    client.on('error', function (e) { note('error: ' + e.message, 'notice'); });
  }

  function disconnect() {
    if (client) {
      client.close();
      client = null;
    }
    setState('idle');
    setTransport('');
  }

  // ---- publish ---------------------------------------------------------------------------------

  async function publish() {
    var text = $('publish-data').value;
    var data;
    try { data = JSON.parse(text); } catch (e) { data = text; }
    var event = $('publish-event').value.trim() || 'message';
    if (client) client.on(event, function () {}); // over SSE, listen for this event name too
    ui.result.dataset.ok = '';
    ui.result.textContent = '…';
    try {
      var res = await fetch(httpBase + '/client/publish', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + ui.token.value.trim() },
        body: JSON.stringify({ group: $('publish-group').value.trim(), event: event, data: data })
      });
      var answer = await res.json().catch(function () { return {}; });
      ui.result.dataset.ok = String(res.ok);
      ui.result.textContent = res.ok ? 'published ' + answer.id + ' to ' + answer.sessions + ' session(s)'
        : res.status + ' ' + (answer.detail || answer.title || '');
    } catch (e) {
      ui.result.dataset.ok = 'false';
      ui.result.textContent = 'failed: ' + e.message;
    }
  }

  $('connect-form').addEventListener('submit', function (e) { e.preventDefault(); connect(); });
  $('disconnect').addEventListener('click', disconnect);
  $('publish-form').addEventListener('submit', function (e) { e.preventDefault(); publish(); });

  var forced = params.get('transport');
  if (forced && ALL.indexOf(forced) >= 0) ui.choice.value = forced;
  if (params.get('token')) {
    ui.token.value = params.get('token');
    connect();
  }
})();
