/*
 * The stock pusher-js (Node build) as a page would use it, and the stock `pusher` server SDK as a backend
 * would, for the Pusher compatibility tests:
 *   node pusher-client.js '<options json>'
 * options: host, port, appId, key, secret (the backend's), connect (false: only the server SDK),
 * tls (wss and https on that port, as behind nginx on 443), echo (true: pusher-js is driven by Laravel Echo,
 * created as a Laravel app's resources/js/echo.js does), sdk (the server SDK's own options, taken as they are
 * instead of the ones above: a backend configured the way Laravel's config/broadcasting.php configures it).
 * Channel authorisation is what a backend's auth endpoint answers: the server SDK's authorizeChannel,
 * called from pusher-js's channelAuthorization.customHandler.
 * Commands, one JSON object a line on stdin:
 *   {"subscribe":"<channel>","user":{"user_id":…,"user_info":…},"secret":"<another secret, to sign badly>"}
 *   {"unsubscribe":"<channel>"}
 *   {"clientEvent":"client-…","channel":"<channel>","data":…,"times":n}   (channel.trigger, n times at once)
 *   {"terminate":"<user id>","ref":n}                                         (server SDK terminateUserConnections)
 *   {"trigger":{"channels":[…],"event":…,"data":…,"socket_id":…},"ref":n}   (server SDK trigger)
 *   {"batch":[{"channel","name","data"}…],"ref":n}                            (server SDK triggerBatch)
 *   {"get":"/channels…","params":{…},"ref":n}                                (server SDK get)
 *   {"webhook":{"headers":{<lower-case name>:…},"rawBody":"…"},"ref":n}     (server SDK webhook(…): isValid, getEvents, getTime)
 * With echo, also:
 *   {"echoListen":"<channel>","event":"OrderShipped"}    (Echo.channel(…).listen(…))
 *   {"echoPrivate":"<name>","event":"…"}                  (Echo.private(name).listen(…), channel private-<name>)
 *   {"echoJoin":"<name>","user":{…}}                      (Echo.join(name).here/joining/leaving, channel presence-<name>)
 *   {"whisper":"<name>","event":"typing","data":…}        (Echo.private(name).whisper(…)); listenForWhisper on echoPrivate
 * Prints one JSON object a line for everything either reports; exits when stdin closes.
 */
'use strict';
const readline = require('readline');
const PusherJs = require('pusher-js');
const PusherServer = require('pusher');

const options = JSON.parse(process.argv[2] || '{}');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const server = (secret) => options.sdk ? new PusherServer({ ...options.sdk, ...(secret ? { secret } : {}) }) : new PusherServer({
  appId: options.appId, key: options.key, secret: secret || options.secret,
  host: options.host || '127.0.0.1', port: String(options.port), useTLS: !!options.tls,
  // lets authorizeChannel answer private-encrypted- channels, so pusher-js asks the server for them
  encryptionMasterKeyBase64: Buffer.alloc(32, 7).toString('base64')
});
const backend = server();
const users = {};     // channel -> presence user data for its authorisation
const secrets = {};   // channel -> the secret its authorisation is signed with

let client = null;
let echo = null;

async function connect() {
  if (options.connect === false) return;
  const settings = {
    wsHost: options.host || '127.0.0.1', wsPort: options.port, wssPort: options.port, forceTLS: !!options.tls,
    enabledTransports: ['ws', 'wss'], disableStats: true, cluster: 'mt1',
    // what the app's auth endpoint (Laravel's /broadcasting/auth) answers, made by the server SDK
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) => {
        try {
          callback(null, server(secrets[channelName]).authorizeChannel(socketId, channelName, users[channelName]));
        } catch (e) {
          callback(e, null);
        }
      }
    }
  };
  if (options.echo) {
    // laravel-echo 2's CommonJS build does not load in Node (its package is "type": "module"): import the ES module
    const Echo = (await import('laravel-echo')).default;
    echo = new Echo({ broadcaster: 'pusher', Pusher: PusherJs, key: options.key, ...settings });
    client = echo.connector.pusher;
  } else {
    client = new PusherJs(options.key, settings);
  }
  client.connection.bind('state_change', (s) => out({ state: s.current }));
  client.connection.bind('connected', () => out({ connected: client.connection.socket_id }));
  client.connection.bind('error', (e) => out({ error: e && e.data ? e.data : (e && e.error && e.error.data) || String(e) }));
}

function subscribe(command) {
  const name = command.subscribe;
  if (command.user) users[name] = command.user;
  if (command.secret) secrets[name] = command.secret;
  const channel = client.subscribe(name);
  channel.bind('pusher:subscription_succeeded', (members) => {
    const report = { subscribed: name };
    if (members && members.each) {
      report.members = [];
      members.each((m) => report.members.push({ id: m.id, info: m.info }));
      report.me = members.me && members.me.id;
    }
    out(report);
  });
  channel.bind('pusher:subscription_error', (e) => out({ subscription_error: name, status: e && e.status, type: e && e.type, detail: e && e.error }));
  channel.bind('pusher:member_added', (m) => out({ member_added: name, id: m.id, info: m.info }));
  channel.bind('pusher:member_removed', (m) => out({ member_removed: name, id: m.id }));
  channel.bind_global((event, data) => {
    if (!event.startsWith('pusher:') && !event.startsWith('pusher_internal:')) out({ channel: name, event, data });
  });
}

async function answer(ref, promise) {
  try {
    const response = await promise;
    out({ ref, status: response.status, body: await response.json() });
  } catch (e) {
    out({ ref, status: e.status || 0, body: e.body || String(e) });
  }
}

function echoChannel(channel, name) {
  return channel
    .subscribed(() => out({ subscribed: name }))
    .error((e) => out({ subscription_error: name, status: e && e.status, type: e && e.type, detail: e && e.error }));
}

function echoCommand(command) {
  if (command.echoListen) {
    const name = command.echoListen;
    echoChannel(echo.channel(name), name).listen(command.event, (data) => out({ echo: name, event: command.event, data }));
  } else if (command.echoPrivate) {
    const name = 'private-' + command.echoPrivate;
    echoChannel(echo.private(command.echoPrivate), name)
      .listen(command.event || '.unused', (data) => out({ echo: name, event: command.event, data }))
      .listenForWhisper('typing', (data) => out({ whispered: name, data }));
  } else if (command.echoJoin) {
    const name = 'presence-' + command.echoJoin;
    users[name] = command.user;
    echo.join(command.echoJoin)
      .here((members) => out({ here: name, users: members }))
      .joining((user) => out({ joining: name, user }))
      .leaving((user) => out({ leaving: name, user }))
      .error((e) => out({ subscription_error: name, status: e && e.status }));
  } else if (command.whisper) {
    echo.private(command.whisper).whisper(command.event, command.data);
    out({ sent: 'whisper' });
  } else {
    return false;
  }
  return true;
}

connect().then(() => {
  const commands = readline.createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    const command = JSON.parse(line);
    if (echo && echoCommand(command)) return;
    if (command.subscribe) subscribe(command);
    else if (command.unsubscribe) client.unsubscribe(command.unsubscribe);
    else if (command.clientEvent) {
      for (let i = 0; i < (command.times || 1); i++) client.channel(command.channel).trigger(command.clientEvent, command.data);
      out({ sent: command.clientEvent, times: command.times || 1 });
    } else if (command.terminate) answer(command.ref, backend.terminateUserConnections(command.terminate));
    else if (command.trigger) {
      const t = command.trigger;
      answer(command.ref, backend.trigger(t.channels, t.event, t.data, t.socket_id ? { socket_id: t.socket_id } : undefined));
    } else if (command.batch) answer(command.ref, backend.triggerBatch(command.batch));
    else if (command.get) answer(command.ref, backend.get({ path: command.get, params: command.params || {} }));
    else if (command.webhook) {
      // what an app's webhook endpoint does with a request it received: the SDK checks the key and signature
      const webhook = backend.webhook(command.webhook);
      const valid = webhook.isValid();
      out({ ref: command.ref, valid, events: valid ? webhook.getEvents() : null, time: valid ? webhook.getTime().getTime() : null });
    }
  });
  commands.on('close', () => {
    if (client) client.disconnect();
    process.exit(0);
  });
}, (e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
