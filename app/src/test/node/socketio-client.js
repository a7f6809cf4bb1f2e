/*
 * A stock socket.io-client, as a page would use it, for the Socket.IO compatibility tests:
 *   node socketio-client.js <url> '<options json>'
 * options: version (4, or 2 for socket.io-client 2: Engine.IO 3, as web-msg-sender's pages load),
 * transports, upgrade, auth (4), query (2), login (a uid to emit('login', uid) with on every connect),
 * events (names to report, for version 2, which has no onAny), emit (arguments of one emit after connecting),
 * call (arguments of one emit with a callback after connecting; the callback's argument is reported as ack).
 * Prints one JSON object a line for everything the client reports; exits when stdin closes.
 */
'use strict';
const [url, json] = process.argv.slice(2);
const options = JSON.parse(json || '{}');
const v2 = options.version === 2;
const io = v2 ? require('socket.io-client-v2') : require('socket.io-client').io;
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const socket = io(url, {
  transports: options.transports || ['polling', 'websocket'],
  upgrade: options.upgrade !== false,
  auth: options.auth,
  query: options.query,
  reconnectionDelay: 100,
  reconnectionDelayMax: 500
});
socket.io.on('open', () => {
  const engine = socket.io.engine;
  out({ open: engine.transport.name });
  engine.on('upgrade', (transport) => out({ upgrade: transport.name }));
});
socket.io.on('ping', () => out({ ping: true }));
socket.on('connect', () => {
  out({ connect: socket.id || true, transport: socket.io.engine.transport.name });
  if (options.login) socket.emit('login', options.login);
  if (options.emit) socket.emit(...options.emit);
  if (options.call) socket.emit(...options.call, (reply) => out({ ack: reply }));
});
socket.on('connect_error', (e) => out({ connect_error: e.message || String(e) }));
socket.on('error', (e) => out({ error: typeof e === 'string' ? e : (e && e.message) || String(e) }));
socket.on('disconnect', (reason) => out({ disconnect: reason, active: v2 ? undefined : socket.active }));
if (v2) {
  (options.events || ['new_msg']).forEach((name) => socket.on(name, (...args) => out({ event: name, args })));
} else {
  socket.onAny((event, ...args) => out({ event, args }));
}

process.stdin.on('end', () => { socket.close(); process.exit(0); });
process.stdin.resume();
