/*
 * pushgate client for browsers and WeChat mini-programs. One file, no dependencies, ES5.
 *
 *   var push = Pushgate.connect({ url: 'https://push.example.com', token: fetchToken });
 *   push.on('new_msg', function (data, message) { ... });
 *   push.on('reset', function () { reloadState(); });
 *   push.join('room-1').then(...);            // groups the token's `groups` claim allows
 *   push.publish('room-1', 'chat', { text: 'hi' }).then(function (result) { ... });
 *
 * What it does for you, per the protocol in docs/protocol.md:
 * - WebSocket first, then Server-Sent Events, then long-polling (browsers); WebSocket only in WeChat,
 *   through wx.connectSocket. A transport that never welcomes within 10 s counts as failed.
 * - Reconnects with exponential backoff and jitter, and resumes from the last cursor it saw (a
 *   message id, the welcome's cursor or a ping's), so nothing published meanwhile is missed; a
 *   message that a resume repeats is delivered once. After a gap too old to fill it emits `reset`.
 * - Does not reconnect after 4403 (kicked), 4400 and 1009 (a client bug). A token function is asked
 *   for a new token before every reconnect; after 4401 (unauthorized) with a fixed token, or twice in
 *   a row with a token function, it stops.
 * - Answers the server's pings, and treats 2.5 heartbeats of silence as a dead connection.
 * - `token` may be a string or a function returning a token or a promise of one; with a function,
 *   a WebSocket session is sent a `refresh` a minute before the token's `exp`.
 *
 * Events: 'open' (welcome, transport), 'message' (data, message) for every message, '<event name>'
 * (data, message), 'reset' (cursor), 'close' ({code, reason, reconnecting}), 'error' (error).
 * Over SSE, EventSource only reports event names it listens for: name them in `events`, or register
 * them with on() before connecting.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) {
    module.exports = factory();
  } else {
    root.Pushgate = factory();
  }
}(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  var WELCOME_TIMEOUT = 10000;
  var STOP = { 4400: 1, 4403: 1, 1009: 1 };          // close codes after which reconnecting cannot help
  var OWN = { open: 1, message: 1, reset: 1, close: 1, error: 1 };
  var wechat = typeof wx !== 'undefined' && wx && typeof wx.connectSocket === 'function';

  function Client(options) {
    options = options || {};
    var base = String(options.url || (typeof location !== 'undefined' ? location.origin : '')).replace(/\/+$/, '');
    this.httpBase = base.replace(/^ws(s?):/, 'http$1:');
    this.wsBase = this.httpBase.replace(/^http(s?):/, 'ws$1:');
    this.tokenSource = options.token;
    this.order = (options.transports || (wechat ? ['ws'] : ['ws', 'sse', 'poll'])).filter(function (t) {
      return OPENERS[t] && (t === 'ws' || !wechat);
    });
    this.sseEvents = ['message'].concat(options.events || []);
    this.minDelay = options.minReconnectDelay || 500;
    this.maxDelay = options.maxReconnectDelay || 15000;
    this.cursor = options.cursor || null;     // where a reconnect resumes from
    this.pollCursor = null;                   // the long-poll transport's own cursor
    this.clientId = null;
    this.transport = null;
    this.state = 'idle';
    this.token = null;
    this.listeners = {};
    this.seen = [];                           // recent message ids, to drop what a resume repeats
    this.seenSet = {};
    this.pending = {};                        // ref -> {resolve, reject} of frames awaiting a reply
    this.nextRef = 1;
    this.generation = 0;
    this.conn = null;
    this.index = 0;
    this.retries = 0;
    this.retryTimer = null;
    this.refreshTimer = null;
    this.tokenRetried = false;
  }

  Client.prototype.on = function (name, fn) {
    (this.listeners[name] = this.listeners[name] || []).push(fn);
    if (!OWN[name] && this.sseEvents.indexOf(name) < 0) {
      this.sseEvents.push(name);
      if (this.conn && this.conn.listen) this.conn.listen(name);
    }
    return this;
  };

  Client.prototype.off = function (name, fn) {
    var list = this.listeners[name] || [];
    var at = list.indexOf(fn);
    if (at >= 0) list.splice(at, 1);
    return this;
  };

  Client.prototype.emit = function (name) {
    var args = Array.prototype.slice.call(arguments, 1);
    (this.listeners[name] || []).slice().forEach(function (fn) {
      try {
        fn.apply(null, args);
      } catch (e) {
        if (typeof console !== 'undefined') console.error(e);   // a listener's bug must not stop delivery
      }
    });
  };

  /** Opens (or reopens) the connection; called by Pushgate.connect. */
  Client.prototype.open = function () {
    this.stop();
    if (!this.order.length) {
      this.state = 'closed';
      this.emit('error', new Error('no usable transport'));
      return this;
    }
    this.index = 0;
    this.retries = 0;
    this.tokenRetried = false;
    this.attempt(false);
    return this;
  };

  /** Closes for good: no reconnect. open() starts again, resuming from the last cursor. */
  Client.prototype.close = function () {
    this.stop();
    this.state = 'closed';
    return this;
  };

  Client.prototype.stop = function () {
    clearTimeout(this.retryTimer);
    clearTimeout(this.refreshTimer);
    this.generation++;
    if (this.conn) {
      this.conn.close();
      this.conn = null;
    }
    this.transport = null;
    this.failPending('closed');
  };

  Client.prototype.attempt = function (freshToken) {
    var self = this;
    var gen = ++this.generation;
    this.state = 'connecting';
    this.obtainToken(freshToken).then(function (token) {
      if (gen !== self.generation) return;
      self.token = token;
      var name = self.order[self.index];
      self.transport = name;
      self.conn = OPENERS[name](self, self.session(gen, name));
    }, function (err) {
      if (gen !== self.generation) return;
      self.emit('error', err instanceof Error ? err : new Error(String(err)));
      self.retry(gen, { code: 1006, reason: 'no token', established: false });
    });
  };

  Client.prototype.obtainToken = function (fresh) {
    var source = this.tokenSource;
    if (typeof source !== 'function') {
      return Promise.resolve(source);
    }
    if (!fresh && this.token) {
      return Promise.resolve(this.token);
    }
    return Promise.resolve().then(source);
  };

  /** What a transport reports to; everything from a replaced connection is ignored. */
  Client.prototype.session = function (gen, name) {
    var self = this;
    var established = false;
    var timer = setTimeout(function () {
      if (gen === self.generation && !established) {
        self.failed(gen, { code: 1006, reason: 'no welcome within ' + WELCOME_TIMEOUT / 1000 + ' s', established: false });
      }
    }, WELCOME_TIMEOUT);
    return {
      current: function () { return gen === self.generation; },
      welcome: function (frame) {
        if (gen !== self.generation) return;
        established = true;
        clearTimeout(timer);
        self.retries = 0;
        self.tokenRetried = false;
        self.clientId = frame.clientId || null;
        if (frame.cursor && !self.cursor) self.cursor = frame.cursor;
        self.state = 'open';
        if (name === 'ws') self.scheduleRefresh(gen);
        self.emit('open', frame, name);
      },
      frame: function (frame) {
        if (gen !== self.generation) return;
        self.onFrame(frame);
      },
      closed: function (info) {
        clearTimeout(timer);
        info.established = info.established || established;
        self.failed(gen, info);
      }
    };
  };

  Client.prototype.onFrame = function (frame) {
    switch (frame.type) {
      case 'message':
        if (frame.id) {
          if (this.seenSet[frame.id]) return;
          this.remember(frame.id);
          this.cursor = frame.id;
        }
        this.emit('message', frame.data, frame);
        if (frame.event && !OWN[frame.event]) this.emit(frame.event, frame.data, frame);
        break;
      case 'reset':
        this.cursor = frame.cursor || this.cursor;
        this.emit('reset', this.cursor);
        break;
      case 'ping':
        if (frame.cursor) this.cursor = frame.cursor;
        break;
      case 'reply':
        var waiting = this.pending[frame.ref];
        if (waiting) {
          delete this.pending[frame.ref];
          if (frame.ok) waiting.resolve(frame.result || {});
          else waiting.reject(replyError(frame.error));
        }
        break;
    }
  };

  Client.prototype.remember = function (id) {
    this.seen.push(id);
    this.seenSet[id] = true;
    if (this.seen.length > 1000) delete this.seenSet[this.seen.shift()];
  };

  Client.prototype.failed = function (gen, info) {
    if (gen !== this.generation) return;
    this.generation++;
    clearTimeout(this.refreshTimer);
    if (this.conn) {
      this.conn.close();
      this.conn = null;
    }
    this.failPending('disconnected');
    if (!info.established && this.index + 1 < this.order.length && !STOP[info.code] && info.code !== 4401) {
      this.index++;                              // this transport does not get through: try the next
      this.attempt(false);
      return;
    }
    this.retry(this.generation, info);
  };

  Client.prototype.retry = function (gen, info) {
    var self = this;
    // a token function is asked again before every reconnect: a browser reports a WebSocket refused
    // with 401 only as 1006, so an expired token cannot be told from a network error
    var fresh = typeof this.tokenSource === 'function';
    if (info.code === 4401) {
      if (!fresh || this.tokenRetried) {
        this.finish(info);
        return;
      }
      this.tokenRetried = true;                  // one new token per refusal, not a loop
    }
    if (STOP[info.code]) {
      this.finish(info);
      return;
    }
    if (!info.established) this.index = 0;      // nothing worked: start over after a pause
    var factor = info.code === 4429 ? 4 : 1;
    var delay = Math.min(this.maxDelay, this.minDelay * factor * Math.pow(2, this.retries++)) * (0.5 + Math.random() / 2);
    this.state = 'reconnecting';
    this.emit('close', { code: info.code, reason: info.reason || '', reconnecting: true, delay: delay });
    this.retryTimer = setTimeout(function () {
      if (gen === self.generation) self.attempt(fresh);
    }, delay);
  };

  Client.prototype.finish = function (info) {
    this.transport = null;
    this.state = 'closed';
    this.emit('close', { code: info.code, reason: info.reason || '', reconnecting: false });
  };

  Client.prototype.failPending = function (why) {
    var pending = this.pending;
    this.pending = {};
    Object.keys(pending).forEach(function (ref) {
      pending[ref].reject(replyError({ code: why, message: 'the connection ' + why + ' before the reply' }));
    });
  };

  /** Sends `refresh` with a new token a minute before the current one expires (WebSocket only). */
  Client.prototype.scheduleRefresh = function (gen) {
    var self = this;
    var exp = expiry(this.token);
    clearTimeout(this.refreshTimer);
    if (typeof this.tokenSource !== 'function' || !exp) return;
    var wait = Math.max(1000, exp * 1000 - Date.now() - 60000);
    this.refreshTimer = setTimeout(function () {
      Promise.resolve().then(self.tokenSource).then(function (token) {
        if (gen !== self.generation) return null;
        return self.request({ type: 'refresh', token: token }).then(function () {
          self.token = token;
          self.scheduleRefresh(gen);
        });
      }).catch(function (err) {
        self.emit('error', err);
      });
    }, Math.min(wait, 2147483647));
  };

  /** A frame with a `ref`, answered by the server's reply (WebSocket). */
  Client.prototype.request = function (frame) {
    var self = this;
    if (this.state !== 'open' || !this.conn || !this.conn.send) {
      return Promise.reject(replyError({ code: 'not_connected', message: 'not connected over WebSocket' }));
    }
    var ref = this.nextRef++;
    frame.ref = ref;
    return new Promise(function (resolve, reject) {
      self.pending[ref] = { resolve: resolve, reject: reject };
      self.conn.send(JSON.stringify(frame));
    });
  };

  /** The same over HTTP, for SSE and long-poll sessions. */
  Client.prototype.post = function (path, body) {
    var headers = { 'Content-Type': 'application/json', Authorization: 'Bearer ' + this.token };
    return fetch(this.httpBase + path, { method: 'POST', headers: headers, body: JSON.stringify(body) })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (answer) {
          if (res.ok) return answer;
          // the problem's type names the same error as a WebSocket reply's code: urn:pushgate:problem:too-many-groups
          var slug = String(answer.type || '').replace(/^urn:pushgate:problem:/, '').replace(/-/g, '_');
          throw replyError({ code: slug || String(res.status), message: answer.detail || answer.title || ('HTTP ' + res.status) });
        });
      });
  };

  Client.prototype.join = function (group) {
    return this.transport === 'ws' ? this.request({ type: 'join', group: group })
      : this.post('/client/join', { clientId: this.clientId, group: group });
  };

  Client.prototype.leave = function (group) {
    return this.transport === 'ws' ? this.request({ type: 'leave', group: group })
      : this.post('/client/leave', { clientId: this.clientId, group: group });
  };

  Client.prototype.publish = function (group, event, data) {
    var frame = { group: group, event: event || 'message', data: data === undefined ? null : data };
    if (this.transport === 'ws') {
      frame.type = 'publish';
      return this.request(frame);
    }
    return this.post('/client/publish', frame);
  };

  function replyError(error) {
    var e = new Error((error && error.message) || 'refused');
    e.code = (error && error.code) || 'error';
    return e;
  }

  /** The token's `exp` (seconds), read without verifying: only to time the refresh. */
  function expiry(token) {
    try {
      var part = String(token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      var json = typeof atob === 'function' ? atob(part + '==='.slice((part.length + 3) % 4)) : null;
      return json ? JSON.parse(json).exp : null;
    } catch (e) {
      return null;
    }
  }

  // ---- transports: each reports welcome, frames and its close through `s` ---------------------------

  /** A socket with one shape for the browser's WebSocket and WeChat's SocketTask. */
  function socket(url, token) {
    if (wechat) {
      var task = wx.connectSocket({ url: url, header: { Authorization: 'Bearer ' + token } });
      var api = {
        send: function (text) { task.send({ data: text }); },
        close: function (code, reason) { task.close({ code: code, reason: reason }); }
      };
      task.onOpen(function () { if (api.onopen) api.onopen(); });
      task.onMessage(function (e) { if (api.onmessage) api.onmessage(e.data); });
      task.onClose(function (e) { if (api.onclose) api.onclose(e.code, e.reason); });
      task.onError(function () { /* onClose follows */ });
      return api;
    }
    // The token as the subprotocol pair ["bearer", token] keeps it out of URLs and access logs.
    var ws = new WebSocket(url, ['bearer', token]);
    var wrapped = {
      send: function (text) { ws.send(text); },
      close: function (code, reason) { if (ws.readyState <= 1) ws.close(code, reason); }
    };
    ws.onmessage = function (e) { if (wrapped.onmessage) wrapped.onmessage(e.data); };
    ws.onclose = function (e) { if (wrapped.onclose) wrapped.onclose(e.code, e.reason); };
    return wrapped;
  }

  function openWs(client, s) {
    var url = client.wsBase + '/ws' + (client.cursor ? '?cursor=' + encodeURIComponent(client.cursor) : '');
    var sock = socket(url, client.token);
    var welcomed = false;
    var heartbeat = 25000;
    var silence = null;
    var done = false;
    function watch() {                      // 2.5 heartbeats without a frame: the connection is dead
      clearTimeout(silence);
      silence = setTimeout(function () { end(1006, 'heartbeat timeout'); }, 2.5 * heartbeat);
    }
    function end(code, reason) {
      if (done) return;
      done = true;
      clearTimeout(silence);
      sock.close(1000);
      s.closed({ code: code, reason: reason, established: welcomed });
    }
    sock.onmessage = function (text) {
      var frame;
      try { frame = JSON.parse(text); } catch (e) { return; }
      if (frame.type === 'welcome') {
        welcomed = true;
        heartbeat = frame.heartbeat || heartbeat;
        watch();
        s.welcome(frame);
        return;
      }
      watch();
      if (frame.type === 'ping') sock.send('{"type":"pong"}');
      s.frame(frame);
    };
    sock.onclose = function (code, reason) {
      if (done) return;
      done = true;
      clearTimeout(silence);
      s.closed({ code: code || 1006, reason: reason, established: welcomed });
    };
    return {
      send: function (text) { sock.send(text); },
      close: function () {
        done = true;
        clearTimeout(silence);
        sock.close(1000);
      }
    };
  }

  function openSse(client, s) {
    // EventSource cannot set headers: the token goes in the query (or a pushgate_token cookie).
    var url = client.httpBase + '/sse?token=' + encodeURIComponent(client.token)
      + (client.cursor ? '&lastEventId=' + encodeURIComponent(client.cursor) : '');
    var es = new EventSource(url);
    var welcomed = false;
    var listening = {};
    function onEvent(e) { s.frame(JSON.parse(e.data)); }
    function listen(name) {                  // EventSource needs one listener per event name
      if (name && !listening[name]) {
        listening[name] = true;
        es.addEventListener(name, onEvent);
      }
    }
    client.sseEvents.forEach(listen);
    es.addEventListener('welcome', function (e) { welcomed = true; s.welcome(JSON.parse(e.data)); });
    es.addEventListener('reset', onEvent);
    es.addEventListener('close', function (e) {
      var frame = JSON.parse(e.data);
      es.close();
      s.closed({ code: frame.code, reason: frame.reason, established: welcomed });
    });
    es.onerror = function () {
      if (es.readyState === EventSource.CLOSED || !welcomed) {
        es.close();                          // refused (401, 429...) or never welcomed: decide here
        s.closed({ code: 1006, reason: 'sse error', established: welcomed });
      }                                      // otherwise EventSource reconnects with Last-Event-ID itself
    };
    return { close: function () { es.close(); }, listen: listen };
  }

  function openPoll(client, s) {
    var stopped = false;
    var abort = typeof AbortController !== 'undefined' ? new AbortController() : null;
    var cursor = client.pollCursor || client.cursor;
    var welcomed = false;
    function next() {
      if (stopped) return;
      fetch(client.httpBase + '/poll' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''), {
        headers: { Authorization: 'Bearer ' + client.token }, cache: 'no-store', signal: abort ? abort.signal : undefined
      }).then(function (res) {
        if (!res.ok) {
          var refused = res.status === 401 || res.status === 403;
          throw { code: refused ? 4401 : res.status === 429 ? 4429 : 1006, reason: 'HTTP ' + res.status };
        }
        return res.json();
      }).then(function (body) {
        if (stopped) return;
        cursor = client.pollCursor = body.cursor;
        if (!welcomed) {
          welcomed = true;
          var at = cursor.indexOf('~');
          s.welcome({ clientId: at < 0 ? '' : cursor.substring(at + 1), cursor: at < 0 ? cursor : cursor.substring(0, at) });
        }
        for (var i = 0; i < body.messages.length; i++) {
          var frame = body.messages[i];
          if (frame.type === 'close') {
            client.pollCursor = null;
            stopped = true;
            s.closed({ code: frame.code, reason: frame.reason, established: true });
            return;
          }
          s.frame(frame);
        }
        next();
      }).catch(function (err) {
        if (stopped) return;
        stopped = true;
        s.closed({ code: err && err.code || 1006, reason: err && err.reason || 'poll failed', established: welcomed });
      });
    }
    next();
    return { close: function () { stopped = true; if (abort) abort.abort(); } };
  }

  var OPENERS = { ws: openWs, sse: openSse, poll: openPoll };

  return {
    /** Creates a client and connects it. See the options at the top of this file. */
    connect: function (options) {
      return new Client(options).open();
    },
    Client: Client
  };
}));
