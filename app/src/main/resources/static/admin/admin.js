/*
 * The admin page: signs in with an admin key kept in this tab's sessionStorage (never in the URL, never
 * in a cookie), then reads /admin/api/overview every 2 s and draws it. Every call is relative to the
 * page, so it works under a proxy's sub-path too. No framework; nothing inline, for the page's CSP.
 */
(function () {
  'use strict';

  var KEY = 'pushgate.adminKey';
  var REFRESH_MS = 2000;
  var SAMPLES = 60; // two minutes of 2 s samples
  var TRANSPORTS = ['websocket', 'sse', 'long-poll', 'socket.io'];
  var rates = [];
  var timer = null;

  function $(id) { return document.getElementById(id); }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }

  function key() { return sessionStorage.getItem(KEY); }

  /** Calls the admin API; a refused key signs the page out. */
  function call(method, path, body) {
    var init = { method: method, headers: { 'Authorization': 'Bearer ' + key(), 'Accept': 'application/json' },
      cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch('api/' + path, init).then(function (response) {
      return response.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        if (response.status === 401) {
          signOut((json && json.detail) || 'the admin key was refused');
        }
        if (!response.ok) {
          var error = new Error((json && json.detail) || ('HTTP ' + response.status));
          error.status = response.status;
          throw error;
        }
        return json;
      });
    });
  }

  function signIn(given) {
    sessionStorage.setItem(KEY, given);
    $('login-error').textContent = '';
    return call('GET', 'overview').then(function (overview) {
      $('login-form').hidden = true;
      $('dashboard').hidden = false;
      $('logout').hidden = false;
      setStatus('signed-in', 'signed in');
      show(overview);
      if (timer === null) { timer = setInterval(refresh, REFRESH_MS); }
    });
  }

  function signOut(reason) {
    sessionStorage.removeItem(KEY);
    if (timer !== null) { clearInterval(timer); timer = null; }
    $('dashboard').hidden = true;
    $('logout').hidden = true;
    $('login-form').hidden = false;
    $('admin-key').value = '';
    $('login-error').textContent = reason || '';
    setStatus('signed-out', 'signed out');
  }

  function setStatus(state, text) {
    $('status').dataset.state = state;
    $('status').textContent = text;
  }

  function refresh() {
    if (!key()) { return; }
    call('GET', 'overview').then(show, function (e) {
      if (e.status !== 401) { setStatus('error', 'refresh failed: ' + e.message); }
    });
  }

  function uptime(seconds) {
    if (seconds < 60) { return seconds + 's'; }
    if (seconds < 3600) { return Math.floor(seconds / 60) + 'm' + pad(seconds % 60) + 's'; }
    if (seconds < 86400) { return Math.floor(seconds / 3600) + 'h' + pad(Math.floor(seconds % 3600 / 60)) + 'm'; }
    return Math.floor(seconds / 86400) + 'd' + pad(Math.floor(seconds % 86400 / 3600)) + 'h';
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function mib(bytes) { return Math.round(bytes / 1048576); }

  function state(n) {
    var problems = [];
    if (!n.accepting) { problems.push('draining'); }
    if (n.brokerState === 'degraded') { problems.push('broker degraded'); }
    return problems.length ? problems.join(', ') : 'ok';
  }

  function show(overview) {
    var nodes = overview.nodes || [];
    var transports = TRANSPORTS.filter(function (t) {
      return t !== 'socket.io' || nodes.some(function (n) { return n.sessionsByTransport[t]; });
    });
    nodes.forEach(function (n) {
      Object.keys(n.sessionsByTransport).forEach(function (t) {
        if (transports.indexOf(t) < 0) { transports.push(t); }
      });
    });

    var head = $('nodes-head');
    head.replaceChildren();
    ['node', 'state', 'uptime', 'sessions'].concat(transports, ['uids', 'groups', 'in/s', 'out/s', 'dropped', 'heap', 'broker'])
      .forEach(function (h) { head.appendChild(el('th', h)); });

    var body = $('nodes-body');
    body.replaceChildren();
    var total = { sessions: 0, by: {}, in: 0, out: 0, dropped: 0 };
    nodes.forEach(function (n) {
      var tr = el('tr');
      tr.dataset.node = n.node;
      tr.dataset.sessions = n.sessions;
      var s = state(n);
      tr.appendChild(el('td', n.node));
      tr.appendChild(el('td', s, s === 'ok' ? 'state-ok' : 'state-bad'));
      tr.appendChild(el('td', n.startedAt > 0 ? uptime(Math.max(0, Math.floor((overview.at - n.startedAt) / 1000))) : '-'));
      tr.appendChild(el('td', n.sessions, 'sessions'));
      transports.forEach(function (t) {
        var count = n.sessionsByTransport[t] || 0;
        var td = el('td', count);
        td.dataset.transport = t;
        tr.appendChild(td);
        total.by[t] = (total.by[t] || 0) + count;
      });
      tr.appendChild(el('td', n.uids));
      tr.appendChild(el('td', n.groups));
      tr.appendChild(el('td', n.messagesInPerSecond.toFixed(1)));
      tr.appendChild(el('td', n.messagesOutPerSecond.toFixed(1)));
      tr.appendChild(el('td', n.dropped));
      tr.appendChild(el('td', n.heapMaxBytes > 0 ? mib(n.heapUsedBytes) + '/' + mib(n.heapMaxBytes) + ' MiB' : '-'));
      tr.appendChild(el('td', n.brokerState + (n.brokerLagMillis > 0 ? ' (lag ' + n.brokerLagMillis + ' ms)' : '')));
      body.appendChild(tr);
      total.sessions += n.sessions;
      total.in += n.messagesInPerSecond;
      total.out += n.messagesOutPerSecond;
      total.dropped += n.dropped;
    });

    var foot = $('nodes-total');
    foot.replaceChildren();
    [nodes.length + (nodes.length === 1 ? ' node' : ' nodes'), '', '', total.sessions]
      .concat(transports.map(function (t) { return total.by[t] || 0; }),
        [overview.uids, overview.groups.count, total.in.toFixed(1), total.out.toFixed(1), total.dropped, '', ''])
      .forEach(function (v) { foot.appendChild(el('td', v)); });

    $('total-sessions').textContent = total.sessions;
    $('total-uids').textContent = overview.uids;
    $('rate-in').textContent = total.in.toFixed(1);
    $('rate-out').textContent = total.out.toFixed(1);
    $('updated').textContent = new Date(overview.at).toLocaleTimeString();

    var groups = $('groups');
    groups.replaceChildren();
    overview.groups.top.forEach(function (g) {
      var li = el('li', g.group + ' - ' + g.sessions + (g.sessions === 1 ? ' session' : ' sessions'));
      li.dataset.group = g.group;
      groups.appendChild(li);
    });
    $('group-count').textContent = overview.groups.count + (overview.groups.partial ? ' (top of the first 10000 by name)' : '');

    rates.push({ in: total.in, out: total.out });
    if (rates.length > SAMPLES) { rates.shift(); }
    draw();
  }

  /** Two lines, in and out per second, over the last samples; the scale follows the highest. */
  function draw() {
    var canvas = $('rates');
    var ctx = canvas.getContext('2d');
    var w = canvas.width, h = canvas.height, top = 14, bottom = h - 4;
    ctx.clearRect(0, 0, w, h);
    var max = 1;
    rates.forEach(function (r) { max = Math.max(max, r.in, r.out); });
    ctx.strokeStyle = '#eee';
    ctx.fillStyle = '#888';
    ctx.font = '11px system-ui, sans-serif';
    ctx.beginPath();
    ctx.moveTo(0, top); ctx.lineTo(w, top); ctx.moveTo(0, bottom); ctx.lineTo(w, bottom);
    ctx.stroke();
    ctx.fillText(max.toFixed(1) + '/s', 4, 11);
    [['out', '#e65100', []], ['in', '#1565c0', [6, 4]]].forEach(function (line) { // in dashed, over out: both show when equal
      ctx.strokeStyle = line[1];
      ctx.setLineDash(line[2]);
      ctx.lineWidth = 2;
      ctx.beginPath();
      rates.forEach(function (r, i) {
        var x = w - (rates.length - 1 - i) * (w / (SAMPLES - 1));
        var y = bottom - (r[line[0]] / max) * (bottom - top);
        if (i === 0) { ctx.moveTo(x, y); } else { ctx.lineTo(x, y); }
      });
      ctx.stroke();
    });
    ctx.setLineDash([]);
    canvas.dataset.samples = rates.length;
  }

  function lookup(uid) {
    return call('GET', 'uids/' + encodeURIComponent(uid)).then(function (answer) {
      $('uid-result').hidden = false;
      $('uid-result').dataset.uid = answer.uid;
      $('uid-result').dataset.sessions = answer.sessions.length;
      $('uid-name').textContent = answer.uid;
      $('uid-state').textContent = (answer.online ? answer.sessions.length + ' session(s) online' : 'offline')
        + (answer.bannedUntil ? ', banned until ' + new Date(answer.bannedUntil).toLocaleString() : '');
      var body = $('uid-sessions').tBodies[0];
      body.replaceChildren();
      answer.sessions.forEach(function (s) {
        var tr = el('tr');
        tr.dataset.clientId = s.clientId;
        tr.appendChild(el('td', s.clientId));
        tr.appendChild(el('td', s.node));
        tr.appendChild(el('td', s.transport || '-', 'transport'));
        tr.appendChild(el('td', s.groups.join(', ') || '-'));
        tr.appendChild(el('td', s.connectedAt > 0 ? new Date(s.connectedAt).toLocaleString() : '-'));
        body.appendChild(tr);
      });
      $('kick').disabled = !answer.online;
    }, function (e) { $('kick-result').textContent = 'lookup failed: ' + e.message; });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('login-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var given = $('admin-key').value.trim();
      if (!given) { return; }
      signIn(given).catch(function (e) {
        if (e.status !== 401) { sessionStorage.removeItem(KEY); $('login-error').textContent = e.message; }
      });
    });
    $('logout').addEventListener('click', function () { signOut(''); });

    $('lookup-form').addEventListener('submit', function (event) {
      event.preventDefault();
      $('kick-result').textContent = '';
      var uid = $('lookup-uid').value.trim();
      if (uid) { lookup(uid); }
    });

    $('kick-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var uid = $('uid-result').dataset.uid;
      var ban = parseInt($('kick-ban').value, 10);
      if (!uid || !window.confirm('Kick every session of uid "' + uid + '"' + (ban > 0 ? ' and ban it for ' + ban + ' s' : '') + '?')) {
        return;
      }
      call('DELETE', 'uids/' + encodeURIComponent(uid) + '/sessions' + (ban > 0 ? '?ban=' + ban : '')).then(function (answer) {
        var result = $('kick-result');
        result.dataset.closed = answer.closed;
        result.textContent = 'closed ' + answer.closed + ' session(s)' + (answer.bannedUntil ? ', banned' : '');
        return lookup(uid);
      }, function (e) { $('kick-result').textContent = 'kick failed: ' + e.message; });
    });

    $('publish-to').addEventListener('change', function () {
      $('publish-name').disabled = $('publish-to').value === 'all';
    });

    $('publish-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var result = $('publish-result');
      result.dataset.ok = 'pending';
      var data;
      try {
        data = JSON.parse($('publish-data').value);
      } catch (e) {
        result.dataset.ok = 'false';
        result.textContent = 'data is not JSON: ' + e.message;
        return;
      }
      call('POST', 'messages', { to: $('publish-to').value, name: $('publish-name').value.trim(),
        event: $('publish-event').value.trim(), data: data }).then(function (answer) {
        result.dataset.ok = 'true';
        result.dataset.sessions = answer.sessions;
        result.textContent = 'published ' + answer.id + ' to ' + answer.sessions + ' session(s)';
      }, function (e) {
        result.dataset.ok = 'false';
        result.textContent = 'publish failed: ' + e.message;
      });
    });

    if (key()) {
      signIn(key()).catch(function () { /* signOut has said why */ });
    }
  });
}());
