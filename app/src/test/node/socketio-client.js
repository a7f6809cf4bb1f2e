/*
 * A stock socket.io-client, as a page would use it, for SocketIoCompatTests:
 *   node socketio-client.js <url> '<options json>'
 * options: transports, upgrade, auth, login (a uid to emit('login', uid) with on every connect).
 * Prints one JSON object a line for everything the client reports; exits when stdin closes.
 */
'use strict';
const { io } = require('socket.io-client');

const [url, json] = process.argv.slice(2);
const options = JSON.parse(json || '{}');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const socket = io(url, {
  transports: options.transports || ['polling', 'websocket'],
  upgrade: options.upgrade !== false,
  auth: options.auth,
  reconnectionDelay: 100,
  reconnectionDelayMax: 500
});
socket.io.on('open', () => {
  const engine = socket.io.engine;
  out({ open: engine.transport.name });
  engine.on('upgrade', (transport) => out({ upgrade: transport.name }));
});
socket.on('connect', () => {
  out({ connect: socket.id, transport: socket.io.engine.transport.name });
  if (options.login) socket.emit('login', options.login);
});
socket.io.on('ping', () => out({ ping: true }));
socket.on('connect_error', (e) => out({ connect_error: e.message }));
socket.on('disconnect', (reason) => out({ disconnect: reason, active: socket.active }));
socket.onAny((event, ...args) => out({ event, args }));

process.stdin.on('end', () => { socket.close(); process.exit(0); });
process.stdin.resume();
