// Upstreams that are never the bottleneck: one Envoy answering every request itself with a
// fixed body (`direct_response`) on several listeners (e.g. "primary" and "dark").
import { startEnvoy, type EnvoyProcess } from "../../tools/lib/envoy.ts";
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface DirectUpstreams {
  envoy: EnvoyProcess;
  ports: Record<string, number>;
  stop(): Promise<void>;
}

/** Answers under a path prefix that differ for the dark copy (it carries `x-dark-launch`). */
export interface JsonAnswers {
  prefix: string;
  primary: { body: Buffer; headers: Record<string, string> };
  dark: { body: Buffer; headers: Record<string, string> };
}

function jsonRoutes(extra: JsonAnswers | undefined): object[] {
  if (extra === undefined) return [];
  const answer = (a: JsonAnswers["primary"]): object => ({
    direct_response: { status: 200, body: { inline_bytes: a.body.toString("base64") } },
    response_headers_to_add: Object.entries(a.headers).map(([key, value]) => ({ header: { key, value } })),
  });
  return [
    { match: { prefix: extra.prefix, headers: [{ name: "x-dark-launch", present_match: true }] }, ...answer(extra.dark) },
    { match: { prefix: extra.prefix }, ...answer(extra.primary) },
  ];
}

/**
 * One Envoy with a listener per name, each answering 200 with `bodyBytes` bytes of its own letter
 * (and, under `extra.prefix`, the JSON answers of configuration E).
 */
export async function startDirectUpstreams(
  names: string[],
  bodyBytes = 1024,
  concurrency = 1,
  extra?: JsonAnswers,
): Promise<DirectUpstreams> {
  const ports: Record<string, number> = {};
  for (const name of names) ports[name] = await freePort();
  const listeners = names.map((name, i) => ({
    name,
    address: { socket_address: { address: "127.0.0.1", port_value: ports[name] } },
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
              stat_prefix: name,
              route_config: {
                // E's pretty-printed JSON is past the default limit of 4096 bytes.
                max_direct_response_body_size_bytes: 1048576,
                virtual_hosts: [
                  {
                    name: "all",
                    domains: ["*"],
                    routes: [
                      ...jsonRoutes(extra),
                      {
                        match: { prefix: "/" },
                        direct_response: { status: 200, body: { inline_string: "ABCDEFGH"[i % 8]!.repeat(bodyBytes) } },
                      },
                    ],
                  },
                ],
              },
              http_filters: [
                {
                  name: "envoy.filters.http.router",
                  typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
                },
              ],
            },
          },
        ],
      },
    ],
  }));
  const bootstrap = JSON.stringify({
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: 0 } } },
    static_resources: { listeners },
  });
  const envoy = await startEnvoy({ bootstrap, concurrency, logLevel: "warn" });
  return { envoy, ports, stop: () => envoy.stop() };
}
