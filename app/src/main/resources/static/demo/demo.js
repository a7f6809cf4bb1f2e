/*
 * pushgate demo client: WebSocket, falling back to SSE, then long-poll. No build step, no library.
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
  var wsBase = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + base;

  var ALL = ['ws', 'sse', 'poll'];
  var WELCOME_TIMEOUT = 10000;        // no welcome in this time: try the next transport
  var FATAL = { 4400: 1, 4401: 1, 4403: 1, 1009: 1 };   // do not reconnect on these close codes
  var SSE_EVENTS = ['message', 'new_msg', 'chat', 'notice', 'demo'];

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    token: $('token'), choice: $('transport-choice'), transport: $('transport'), state: $('state'),
    clientId: $('client-id'), cursor: $('cursor'), messages: $('messages'), result: $('publish-result')
  };

  var token = '';
  var order = [];          // transports to try, in order
  var index = 0;           // the one in use or being tried
  var conn = null;         // {close(), listen(name)?} of the current transport
  var generation = 0;      // callbacks of a replaced connection are ignored
  var lastId = null;       // cursor to resume from: the last message id (or the welcome's cursor)
  var pollCursor = null;   // the poll transport's own cursor (<position>~<clientId>)
  var retries = 0;
  var retryTimer = null;
  var seen = new Set();
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

  // ---- what every transport reports ------------------------------------------------------------

  function handlers(gen, name) {
    var established = false;
    var timer = setTimeout(function () {
      if (gen === generation && !established) {
        failed(gen, { code: 1006, reason: 'no welcome within ' + WELCOME_TIMEOUT / 1000 + ' s', established: false });
      }
    }, WELCOME_TIMEOUT);
    return {
      welcome: function (frame) {
        if (gen !== generation) return;
        established = true;
        clearTimeout(timer);
        retries = 0;
        setTransport(name);
        setState('open');
        ui.clientId.textContent = frame.clientId || '';
        if (!lastId && frame.cursor) {
          lastId = frame.cursor;
        }
      },
      message: function (frame) {
        if (gen !== generation) return;
        show(frame, name);
      },
      reset: function (frame) {
        if (gen !== generation) return;
        lastId = frame.cursor || lastId;
        ui.cursor.textContent = lastId || '';
        note('reset: some missed messages are gone; reload your state', 'reset');
      },
      closed: function (info) {
        clearTimeout(timer);
        info.established = info.established || established;
        failed(gen, info);
      }
    };
  }

  function failed(gen, info) {
    if (gen !== generation) return;
    generation++;
    if (conn) {
      conn.close();
      conn = null;
    }
    if (FATAL[info.code]) {
      setState('closed', info.code + ' ' + (info.reason || ''));
      note('closed ' + info.code + ' ' + (info.reason || '') + ': not reconnecting', 'notice');
      return;
    }
    if (!info.established && index + 1 < order.length) {
      note(order[index] + ' failed' + (info.reason ? ' (' + info.reason + ')' : '') + ', trying ' + order[index + 1], 'notice');
      index++;
      open();
      return;
    }
    if (!info.established) {
      index = 0;                          // nothing worked: start over after a pause
    }
    var delay = Math.min(15000, 500 * Math.pow(2, retries++)) * (0.5 + Math.random() / 2);
    setState('reconnecting', 'in ' + Math.round(delay / 100) / 10 + ' s');
    retryTimer = setTimeout(open, delay);
  }

  function show(frame, transport) {
    if (frame.id) {
      if (seen.has(frame.id)) return;     // a replay after a reconnect may repeat a message
      seen.add(frame.id);
      lastId = frame.id;
      ui.cursor.textContent = lastId;
    }
    var li = document.createElement('li');
    li.className = 'message';
    li.dataset.event = frame.event || 'message';
    li.dataset.id = frame.id || '';
    li.dataset.transport = transport;
    var event = document.createElement('span');
    event.className = 'event';
    event.textContent = li.dataset.event;
    var data = document.createElement('code');
    data.className = 'data';
    data.textContent = JSON.stringify(frame.data);
    var to = document.createElement('span');
    to.className = 'to';
    to.textContent = ' to ' + JSON.stringify(frame.to || {}) + ' via ' + transport;
    li.append(event, ' ', data, to);
    ui.messages.prepend(li);
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

  // ---- transports ------------------------------------------------------------------------------

  function openWs(h) {
    var url = wsBase + '/ws' + (lastId ? '?cursor=' + encodeURIComponent(lastId) : '');
    // The token as the subprotocol pair ["bearer", token] keeps it out of URLs and access logs.
    var ws = new WebSocket(url, ['bearer', token]);
    var welcomed = false;
    var silence = null;
    function watch(ms) {               // a silent server (2 heartbeats): reconnect
      clearTimeout(silence);
      silence = setTimeout(function () { ws.close(4000, 'heartbeat timeout'); }, ms);
    }
    var heartbeat = 25000;
    ws.onmessage = function (e) {
      var frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      watch(2.5 * heartbeat);
      switch (frame.type) {
        case 'welcome':
          welcomed = true;
          heartbeat = frame.heartbeat || heartbeat;
          watch(2.5 * heartbeat);
          h.welcome(frame);
          break;
        case 'message': h.message(frame); break;
        case 'reset': h.reset(frame); break;
        case 'ping': ws.send('{"type":"pong"}'); break;
      }
    };
    ws.onclose = function (e) {
      clearTimeout(silence);
      h.closed({ code: e.code === 4000 ? 1006 : e.code, reason: e.reason, established: welcomed });
    };
    return {
      close: function () {
        clearTimeout(silence);
        ws.onclose = null;
        ws.onmessage = null;
        if (ws.readyState <= 1) ws.close(1000);
      }
    };
  }

  function openSse(h) {
    // EventSource cannot set headers: the token goes in the query (or a pushgate_token cookie).
    var url = httpBase + '/sse?token=' + encodeURIComponent(token)
      + (lastId ? '&lastEventId=' + encodeURIComponent(lastId) : '');
    var es = new EventSource(url);
    var welcomed = false;
    var listening = new Set();
    function onMessage(e) { h.message(JSON.parse(e.data)); }
    function listen(name) {              // EventSource needs one listener per event name
      if (name && !listening.has(name)) {
        listening.add(name);
        es.addEventListener(name, onMessage);
      }
    }
    SSE_EVENTS.concat(extraEvents).forEach(listen);
    es.addEventListener('welcome', function (e) { welcomed = true; h.welcome(JSON.parse(e.data)); });
    es.addEventListener('reset', function (e) { h.reset(JSON.parse(e.data)); });
    es.addEventListener('close', function (e) {
      var frame = JSON.parse(e.data);
      es.close();
      h.closed({ code: frame.code, reason: frame.reason, established: welcomed });
    });
    es.onerror = function () {
      if (es.readyState === EventSource.CLOSED || !welcomed) {
        es.close();                        // refused (401, 429...) or never welcomed: decide ourselves
        h.closed({ code: 1006, reason: 'sse error', established: welcomed });
      } else {
        setState('reconnecting', 'sse');   // EventSource reconnects with Last-Event-ID by itself
        welcomed = false;
      }
    };
    return { close: function () { es.close(); }, listen: listen };
  }

  function openPoll(h) {
    var stopped = false;
    var abort = new AbortController();
    var cursor = pollCursor || lastId;
    var welcomed = false;
    (async function loop() {
      while (!stopped) {
        var res, body;
        try {
          res = await fetch(httpBase + '/poll' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''), {
            headers: { Authorization: 'Bearer ' + token }, cache: 'no-store', signal: abort.signal
          });
          if (!res.ok) {
            var fatal = res.status === 401 || res.status === 403;
            h.closed({ code: fatal ? 4401 : 1006, reason: 'HTTP ' + res.status, established: welcomed });
            return;
          }
          body = await res.json();
        } catch (err) {
          if (!stopped) h.closed({ code: 1006, reason: 'poll failed', established: welcomed });
          return;
        }
        if (stopped) return;
        cursor = pollCursor = body.cursor;
        if (!welcomed) {
          welcomed = true;
          var at = cursor.indexOf('~');
          h.welcome({ clientId: at < 0 ? '' : cursor.substring(at + 1), cursor: at < 0 ? cursor : cursor.substring(0, at) });
        }
        for (var i = 0; i < body.messages.length; i++) {
          var frame = body.messages[i];
          if (frame.type === 'message') h.message(frame);
          else if (frame.type === 'reset') h.reset(frame);
          else if (frame.type === 'close') {
            pollCursor = null;
            h.closed({ code: frame.code, reason: frame.reason, established: true });
            return;
          }
        }
      }
    })();
    return { close: function () { stopped = true; abort.abort(); } };
  }

  var OPENERS = { ws: openWs, sse: openSse, poll: openPoll };

  function open() {
    clearTimeout(retryTimer);
    var name = order[index];
    var gen = ++generation;
    setTransport(name);
    setState('connecting');
    conn = OPENERS[name](handlers(gen, name));
  }

  function connect() {
    disconnect();
    token = ui.token.value.trim();
    if (!token) {
      setState('idle', 'enter a token');
      return;
    }
    order = transportsFor(ui.choice.value);
    if (!order.length || order.some(function (t) { return !OPENERS[t]; })) {
      setState('closed', 'no usable transport');
      return;
    }
    index = 0;
    retries = 0;
    open();
  }

  function disconnect() {
    clearTimeout(retryTimer);
    generation++;
    if (conn) {
      conn.close();
      conn = null;
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
    if (conn && conn.listen) conn.listen(event);
    ui.result.dataset.ok = '';
    ui.result.textContent = '…';
    try {
      var res = await fetch(httpBase + '/client/publish', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + (token || ui.token.value.trim()) },
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
  if (forced && OPENERS[forced]) ui.choice.value = forced;
  if (params.get('token')) {
    ui.token.value = params.get('token');
    connect();
  }
})();
