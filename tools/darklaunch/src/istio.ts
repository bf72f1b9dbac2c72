// What Istio needs that plain Envoy does not: the cluster names its sidecars have, and an OCI
// image reference pinned by digest.
//
// Cluster names. An Istio sidecar names the cluster of a service port
// `outbound|<port>|<subset>|<fqdn>` (subset empty without a DestinationRule subset), e.g.
// `outbound|8080||checkout-v2.shop.svc.cluster.local`. A dark-launch file may write a cluster as
// `host:port` instead: a host without a dot is a service in the WasmPlugin's namespace
// (`<host>.<namespace>.svc.cluster.local`, as Istio reads short names); a host with a dot is taken
// as the full name (a Kubernetes FQDN, or a ServiceEntry host). Names already in the `outbound|`
// form pass unchanged. Anything else is refused: a sidecar has no such cluster, and every copy
// would count as skipped.dispatch_failed.

import { CliError, EXIT } from "./errors.js";
import { imageDigest } from "./crane.js";

/** Kubernetes' default cluster domain; a mesh with another one writes full names. */
export const CLUSTER_DOMAIN = "cluster.local";

const OUTBOUND = /^outbound\|[1-9][0-9]{0,4}\|[^|]*\|[a-z0-9*]([-a-z0-9.*]*[a-z0-9])?$/;
const HOST_PORT = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*):([0-9]{1,5})$/;

/** The Istio cluster name for `cluster`, or a problem sentence. */
export function istioClusterName(cluster: string, namespace: string | null): { name: string } | { problem: string } {
  if (OUTBOUND.test(cluster)) return { name: cluster };
  const hostPort = HOST_PORT.exec(cluster);
  const expected = `write host:port (e.g. checkout-v2:8080 or checkout-v2.shop.svc.cluster.local:8080) or Istio's outbound|<port>|<subset>|<host>`;
  if (hostPort === null) return { problem: `"${cluster}" is not a cluster an Istio sidecar has: ${expected}` };
  const host = hostPort[1]!;
  const port = Number(hostPort[5]);
  if (port < 1 || port > 65535) return { problem: `"${cluster}": port ${port} is not 1..65535` };
  if (host.includes(".")) return { name: `outbound|${port}||${host}` };
  if (namespace === null) {
    return {
      problem: `"${cluster}": a short host name needs istio.namespace (or write the full name, ${host}.<namespace>.svc.${CLUSTER_DOMAIN}:${port})`,
    };
  }
  return { name: `outbound|${port}||${host}.${namespace}.svc.${CLUSTER_DOMAIN}` };
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The filter configuration with every cluster it names turned into Istio's cluster name
 * (rules[].dark.cluster, and where present rules[].compare.noise_cluster and samples.cluster).
 * Every problem at once, by JSON path: CliError, exit 1.
 */
export function withIstioClusterNames(filter: Json, namespace: string | null, source: string): Json {
  const out = structuredClone(filter);
  const problems: string[] = [];
  const translate = (holder: unknown, key: string, path: string): void => {
    if (!isObject(holder) || typeof holder[key] !== "string") return;
    const result = istioClusterName(holder[key] as string, namespace);
    if ("name" in result) holder[key] = result.name;
    else problems.push(`filter.${path}: ${result.problem}`);
  };
  const rules = out.rules;
  if (Array.isArray(rules)) {
    rules.forEach((rule: unknown, i) => {
      if (!isObject(rule)) return;
      translate(rule.dark, "cluster", `rules[${i}].dark.cluster`);
      translate(rule.compare, "noise_cluster", `rules[${i}].compare.noise_cluster`);
    });
  }
  translate(out.samples, "cluster", "samples.cluster");
  if (problems.length > 0) {
    throw new CliError(`${source}: cannot render for Istio:\n  ${problems.join("\n  ")}`, EXIT.failed);
  }
  return out;
}

/** An image reference pinned by digest, as a WasmPlugin's url and sha256. */
export interface PinnedImage {
  /** oci://<registry>/<repository>@sha256:<hex> */
  url: string;
  /** <hex>: Istio checks the pulled image's manifest digest against it. */
  sha256: string;
  /** The reference as given. */
  given: string;
}

const DIGEST = /@sha256:([0-9a-f]{64})$/;

/**
 * `REF` (registry/repository[:tag][@sha256:...], with or without oci://) pinned by its digest:
 * the one in the reference, else the one the registry reports for it now (crane digest).
 */
export function pinImage(ref: string, env?: NodeJS.ProcessEnv): PinnedImage {
  const given = ref.replace(/^oci:\/\//, "");
  if (!/^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$/.test(given)) {
    throw new CliError(`--image ${JSON.stringify(ref)}: expected REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]`, EXIT.other);
  }
  const inRef = DIGEST.exec(given)?.[1];
  const hex = inRef ?? imageDigest(given, env).slice("sha256:".length);
  const withoutDigest = given.replace(DIGEST, "");
  const lastSlash = withoutDigest.lastIndexOf("/");
  const repository = withoutDigest.slice(0, lastSlash + 1) + withoutDigest.slice(lastSlash + 1).replace(/:.*$/, "");
  return { url: `oci://${repository}@sha256:${hex}`, sha256: hex, given };
}
