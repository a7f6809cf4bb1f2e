/*
 * pushgate.js inside a WeChat mini-program, with wx.connectSocket played by this script: run with
 * `node clients/test/wechat.js` (the app's WeChatClientTests do). Exits non-zero on the first failure.
 */
'use strict';
const assert = require('node:assert/strict');

const sockets = [];
global.wx = {
  connectSocket(options) {
    const task = {
      options, sent: [], on: {},
      send(o) { this.sent.push(JSON.parse(o.data)); },
      close(o) { this.closedWith = o.code; },
      onOpen(f) { this.on.open = f; }, onMessage(f) { this.on.message = f; },
      onClose(f) { this.on.close = f; }, onError(f) { this.on.error = f; },
      receive(frame) { this.on.message({ data: JSON.stringify(frame) }); }
    };
    sockets.push(task);
    return task;
  }
};
const Pushgate = require('../pushgate.js');

function until(check, what) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 5000;
    (function poll() {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error('timed out waiting for ' + what));
      setTimeout(poll, 5);
    })();
  });
}

(async () => {
  const tokens = ['t1', 't2'];
  const got = [];
  const closes = [];
  const push = Pushgate.connect({ url: 'https://push.example.com', token: () => tokens.shift(), minReconnectDelay: 10 });
  push.on('new_msg', (data) => got.push(data.n));
  push.on('close', (info) => closes.push(info));

  await until(() => sockets.length === 1, 'the first socket');
  const first = sockets[0];
  assert.equal(first.options.url, 'wss://push.example.com/ws', 'connects to /ws on the https origin');
  assert.equal(first.options.header.Authorization, 'Bearer t1', 'sends the token in a header');

  first.receive({ type: 'welcome', clientId: 'c1', uid: 'u', heartbeat: 25000, groups: [], cursor: 'k0' });
  assert.equal(push.state, 'open');
  first.receive({ type: 'message', id: 'k1', event: 'new_msg', data: { n: 1 } });
  first.receive({ type: 'message', id: 'k1', event: 'new_msg', data: { n: 1 } });
  assert.deepEqual(got, [1], 'a message repeated by a resume is delivered once');

  first.receive({ type: 'ping', cursor: 'k2' });
  assert.deepEqual(first.sent.pop(), { type: 'pong' }, 'answers pings');

  const joined = push.join('room');
  assert.deepEqual(first.sent.pop(), { type: 'join', group: 'room', ref: 1 });
  first.receive({ type: 'reply', ref: 1, ok: false, error: { code: 'forbidden', message: 'not in the token' } });
  await assert.rejects(joined, (e) => e.code === 'forbidden');

  first.on.close({ code: 1006, reason: '' });
  await until(() => sockets.length === 2, 'a reconnect');
  const second = sockets[1];
  assert.equal(second.options.url, 'wss://push.example.com/ws?cursor=k2', 'resumes from the last cursor (a ping\'s)');
  assert.equal(second.options.header.Authorization, 'Bearer t2', 'asks the token function again');
  assert.equal(closes[0].reconnecting, true);

  second.receive({ type: 'welcome', clientId: 'c2', uid: 'u', heartbeat: 25000, groups: [], cursor: 'k2' });
  second.on.close({ code: 4403, reason: 'kicked' });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sockets.length, 2, 'no reconnect after a kick');
  assert.equal(push.state, 'closed');
  assert.deepEqual(closes.map((c) => c.code + ' ' + c.reconnecting), ['1006 true', '4403 false']);
  console.log('wechat: ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
