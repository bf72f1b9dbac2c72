// Misbehaving upstreams the recording upstream (test/support/upstream.ts) cannot play: a plain
// TCP server on 127.0.0.1 that reads a request head and then, chosen by path prefix, answers
// garbage, never answers, sends headers and part of a body before dropping the connection, or
// streams a large body slowly.

import { createServer, type AddressInfo, type Socket } from "node:net";

export type RawBehaviour =
  /** Bytes that are not HTTP, then the connection is closed. */
  | { kind: "garbage"; bytes: Buffer }
  /** Reads the request and never writes a byte; the connection stays open. */
  | { kind: "hang" }
  /** A 200 head announcing `declaredBytes`, the first `sentBytes` of the body, then a destroyed socket. */
  | { kind: "partial"; declaredBytes: number; sentBytes: number }
  /** A 200 with content-length `body.length`, written `chunkBytes` at a time every `intervalMs`. */
  | { kind: "stream"; body: Buffer; chunkBytes: number; intervalMs: number };

export interface RawServer {
  port: number;
  /** Request paths whose head arrived, in arrival order. */
  paths: string[];
  /** Paths of `stream` answers cut short because the peer went away. */
  streamsCut: string[];
  close(): Promise<void>;
}

const HEAD_END = Buffer.from("\r\n\r\n");

export async function startRawServer(behaviours: Record<string, RawBehaviour>): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const paths: string[] = [];
  const streamsCut: string[] = [];

  const behaviourFor = (path: string): RawBehaviour | undefined => {
    let best: string | undefined;
    for (const prefix of Object.keys(behaviours)) {
      if (path.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
    }
    return best === undefined ? undefined : behaviours[best];
  };

  const stream = (socket: Socket, path: string, b: { body: Buffer; chunkBytes: number; intervalMs: number }): void => {
    socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${b.body.length}\r\n\r\n`);
    let offset = 0;
    const next = (): void => {
      if (socket.destroyed) {
        streamsCut.push(path);
        return;
      }
      socket.write(b.body.subarray(offset, offset + b.chunkBytes));
      offset += b.chunkBytes;
      if (offset >= b.body.length) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        next();
      }, b.intervalMs);
      timers.add(timer);
    };
    next();
  };

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let head = Buffer.alloc(0);
    let answered = false;
    socket.on("data", (chunk: Buffer) => {
      if (answered) return;
      head = Buffer.concat([head, chunk]);
      if (head.indexOf(HEAD_END) < 0) return;
      answered = true;
      const path = /^\S+ (\S+) HTTP\//.exec(head.toString("latin1"))?.[1] ?? "";
      paths.push(path);
      const b = behaviourFor(path);
      if (b === undefined) {
        socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
      } else if (b.kind === "garbage") {
        socket.end(b.bytes);
      } else if (b.kind === "partial") {
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${b.declaredBytes}\r\n\r\n`);
        socket.write(Buffer.alloc(b.sentBytes, "p"), () => {
          // Let the bytes leave before the connection goes.
          const timer = setTimeout(() => {
            timers.delete(timer);
            socket.destroy();
          }, 50);
          timers.add(timer);
        });
      } else if (b.kind === "stream") {
        stream(socket, path, b);
      }
      // "hang": nothing, ever.
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  return {
    port: (server.address() as AddressInfo).port,
    paths,
    streamsCut,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolveClose());
      }),
  };
}
