// A real gRPC service (@grpc/grpc-js over h2c on 127.0.0.1, a free port) for the gRPC tests: one
// unary method whose answer is scripted per test, and a record of the metadata of every call.
// Messages are raw bytes (no protobuf schema is needed to speak gRPC): the request's bytes are
// echoed back, so primary and dark answer with the same body unless scripted otherwise.

import type { IncomingHttpHeaders, Http2Server } from "node:http2";
import * as grpc from "@grpc/grpc-js";

/** The method both the primary and the dark service implement. */
export const ECHO_PATH = "/darklaunch.test.Echo/Call";

const identity = (b: Buffer): Buffer => b;

const ECHO_SERVICE: grpc.ServiceDefinition = {
  Call: {
    path: ECHO_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** How the service answers the next calls. */
export type GrpcAnswer =
  | { kind: "ok"; trailers?: Record<string, string> }
  /** Headers and a message, then this status in the trailers (HTTP 200 throughout). */
  | { kind: "error-in-trailers"; code: grpc.status; message: string }
  /** A trailers-only response: the status in the only HEADERS frame. */
  | { kind: "trailers-only"; code: grpc.status; message: string };

export interface GrpcUpstream {
  port: number;
  /** The metadata of every call received, in order (grpc-js removes te and content-type from it). */
  calls: grpc.Metadata[];
  /** The HTTP/2 request headers of every stream received, as on the wire (te included). */
  wireHeaders: IncomingHttpHeaders[];
  answer: GrpcAnswer;
  close(): Promise<void>;
}

export async function startGrpcUpstream(answer: GrpcAnswer = { kind: "ok" }): Promise<GrpcUpstream> {
  const server = new grpc.Server();
  const upstream: GrpcUpstream = {
    port: 0,
    calls: [],
    wireHeaders: [],
    answer,
    close: () =>
      new Promise((resolve) => {
        server.tryShutdown(() => resolve());
        // Calls still open (none expected) must not hold the test up.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
  server.addService(ECHO_SERVICE, {
    Call: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      upstream.calls.push(call.metadata);
      const a = upstream.answer;
      if (a.kind === "ok") {
        const trailers = new grpc.Metadata();
        for (const [k, v] of Object.entries(a.trailers ?? {})) trailers.set(k, v);
        callback(null, call.request, trailers);
      } else if (a.kind === "error-in-trailers") {
        // Headers go out first, so the status can only travel in the trailers.
        call.sendMetadata(new grpc.Metadata());
        callback({ code: a.code, details: a.message });
      } else {
        callback({ code: a.code, details: a.message });
      }
    },
  });
  upstream.port = await new Promise<number>((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
  // grpc-js keeps its HTTP/2 servers private; a second 'stream' listener sees each request's
  // headers as they arrived, before grpc-js drops the reserved ones from the metadata.
  const http2Servers = (server as unknown as { http2Servers: Map<Http2Server, unknown> }).http2Servers;
  for (const h2 of http2Servers.keys()) h2.on("stream", (_stream, headers) => upstream.wireHeaders.push(headers));
  return upstream;
}

/** A gRPC client of the echo method through `host:port` (Envoy's listener), over h2c. */
export function echoClient(port: number): {
  call(body: Buffer, timeoutMs?: number): Promise<{ code: grpc.status; details: string; body: Buffer | null }>;
  close(): void;
} {
  const Client = grpc.makeGenericClientConstructor(ECHO_SERVICE, "Echo");
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    call: (body, timeoutMs = 10000) =>
      new Promise((resolve) => {
        const deadline = new Date(Date.now() + timeoutMs);
        (
          client as unknown as {
            Call: (req: Buffer, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void) => void;
          }
        ).Call(body, { deadline }, (err, res) => {
          if (err) resolve({ code: err.code, details: err.details, body: null });
          else resolve({ code: grpc.status.OK, details: "", body: res ?? null });
        });
      }),
    close: () => client.close(),
  };
}
