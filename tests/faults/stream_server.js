// A Node socket.io 4.8.4 server for the connection-cut test (tests/faults/test_proxy_cuts.py).
//
//   node stream_server.js [--port=0] [--ping-interval=1000] [--ping-timeout=1000]
//
// Connection state recovery is on. Prints "listening <port>" once ready; exits on SIGTERM or
// when stdin closes (the same contract as tests/peers/node/server.js, whose node_modules it uses).
//
// Streams are keyed by the client's auth.stream, so their state outlives connections (and a
// failed recovery, which would show as lost events rather than as a fresh stream):
//
//   start {every, batch}  every `every` ms, emit `batch` events "seq" n (n = 0, 1, 2, ...) to the
//                         stream's current socket id. With recovery on, each emit is stored by
//                         the adapter and replayed to a client that comes back with its offset.
//   stop                  stop emitting; ack {sent}.
//   up n (ack)            client -> server numbered event: counted raw, deduplicated by n, order
//                         checked on first arrival; acked with n.
//   stats (ack)           {raw, unique, dups, outOfOrder, lastUnique, sent, connections, recovered,
//                         staleRestores}
//   debug (ack)           the server's view: engine clients, sockets of "/", streams
//
// STREAM_DEBUG=1 in the environment logs engine/socket opens and closes to stderr.
"use strict";

const path = require("node:path");
const http = require("node:http");
const { Server } = require(path.join(__dirname, "..", "peers", "node", "node_modules", "socket.io"));

const options = { port: 0, pingInterval: 1000, pingTimeout: 1000 };
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z-]+)=(\d+)$/.exec(arg);
  const key = m && m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  if (!m || !(key in options)) {
    process.stderr.write(`stream_server.js: unknown argument ${arg}\n`);
    process.exit(2);
  }
  options[key] = Number(m[2]);
}

const httpServer = http.createServer();
const io = new Server(httpServer, {
  pingInterval: options.pingInterval,
  pingTimeout: options.pingTimeout,
  connectionStateRecovery: { maxDisconnectionDuration: 120000, skipMiddlewares: true },
});

const streams = new Map();

function stream(key) {
  let s = streams.get(key);
  if (!s) {
    s = {
      sid: null, next: 0, timer: null,
      raw: 0, seen: new Set(), dups: 0, outOfOrder: 0, lastUnique: -1,
      connections: 0, recovered: 0, staleRestores: 0, live: new Set(),
    };
    streams.set(key, s);
  }
  return s;
}

const t0 = Date.now();
const log = (...a) => { if (process.env.STREAM_DEBUG) process.stderr.write(`${Date.now() - t0} ${a.join(" ")}\n`); };
io.engine.on("connection", (conn) => {
  log("eio open", conn.id, conn.transport.name);
  conn.on("close", (reason, desc) => log("eio close", conn.id, reason, desc && (desc.message || desc)));
});

io.on("connection", (socket) => {
  const key = String((socket.handshake.auth || {}).stream || socket.id);
  const s = stream(key);
  s.sid = socket.id;
  s.connections += 1;
  if (socket.recovered) s.recovered += 1;
  // socket.io 4.8.4 restores a persisted session even while an older socket with the same id
  // is still connected on an engine connection the server has not seen die yet (socket.io
  // issue #4880): the client left it, but no request was pending to tell the server. When
  // that older socket finally times out, it unregisters the shared id from the namespace and
  // from every room, orphaning the new socket, and persists an empty room list, so the next
  // recovery replays nothing. Workaround (counted, and reported by the test): close the older
  // socket now, then re-register the new one.
  for (const other of [...s.live]) {
    if (other !== socket && other.id === socket.id && other.connected) {
      s.staleRestores += 1;
      log("stale restore: closing the older socket on eio", other.conn.id);
      s.live.delete(other);
      other.disconnect(true);
      socket.join(socket.id);
      socket.nsp.sockets.set(socket.id, socket);
    }
  }
  s.live.add(socket);
  log("sio connect", socket.id, "eio", socket.conn.id, "recovered", socket.recovered);
  socket.on("disconnect", (reason) => {
    s.live.delete(socket);
    log("sio disconnect", socket.id, "eio", socket.conn.id, reason);
  });

  socket.on("start", (opts = {}, ack) => {
    const every = opts.every || 5;
    const batch = opts.batch || 1;
    if (!s.timer) {
      s.timer = setInterval(() => {
        for (let i = 0; i < batch; i++) io.to(s.sid).emit("seq", s.next++);
      }, every);
    }
    if (typeof ack === "function") ack();
  });

  socket.on("stop", (ack) => {
    clearInterval(s.timer);
    s.timer = null;
    if (typeof ack === "function") ack({ sent: s.next });
  });

  socket.on("up", (n, ack) => {
    s.raw += 1;
    if (s.seen.has(n)) {
      s.dups += 1;
    } else {
      if (n !== s.lastUnique + 1) s.outOfOrder += 1;
      s.seen.add(n);
      if (n > s.lastUnique) s.lastUnique = n;
    }
    if (typeof ack === "function") ack(n);
  });

  socket.on("debug", (ack) => {
    const sockets = [...io.of("/").sockets.values()].map((x) => ({
      id: x.id, eio: x.conn.id, transport: x.conn.transport.name, readyState: x.conn.readyState,
      key: (x.handshake.auth || {}).stream, recovered: x.recovered,
      writeBuffer: x.conn.writeBuffer.length, writable: x.conn.transport.writable,
    }));
    const all = {};
    for (const [k, v] of streams) all[k] = { sid: v.sid, next: v.next, raw: v.raw, staleRestores: v.staleRestores };
    ack({ clients: io.engine.clientsCount, sockets, streams: all, packets: io.of("/").adapter.packets.length });
  });

  socket.on("stats", (ack) => {
    ack({
      raw: s.raw, unique: s.seen.size, dups: s.dups, outOfOrder: s.outOfOrder, lastUnique: s.lastUnique,
      sent: s.next, connections: s.connections, recovered: s.recovered, staleRestores: s.staleRestores,
    });
  });
});

function shutdown() {
  io.close();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
process.stdin.on("end", shutdown);
process.stdin.on("close", shutdown);
process.stdin.on("error", shutdown);
process.stdin.resume();

httpServer.on("error", (err) => {
  process.stderr.write(`stream_server.js: ${err.stack || err}\n`);
  process.exit(1);
});
httpServer.listen(options.port, "127.0.0.1", () => {
  process.stdout.write(`listening ${httpServer.address().port}\n`);
});
