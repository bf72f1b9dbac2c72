// What `render` writes from a dark-launch file (src/deployment.ts): pure functions returning
// plain objects, plus their YAML text.
//   envoyHttpFilter  the http_filters entry with the configuration inline
//   ecdsResponse     the ECDS file (a DiscoveryResponse with one TypedExtensionConfig), and the
//                    http_filters entry that subscribes to it
//   istioWasmPlugin  an extensions.istio.io/v1alpha1 WasmPlugin: cluster names as Istio's sidecars
//                    have them (src/istio.ts), the module from an OCI image pinned by digest when
//                    one is given

import { Document, isCollection } from "yaml";
import type { Deployment } from "./deployment.js";
import { STRING_VALUE_TYPE, TYPED_EXTENSION_CONFIG_TYPE, WASM_FILTER_TYPE } from "./ecds.js";
import { CliError, EXIT } from "./errors.js";
import { type PinnedImage, withIstioClusterNames } from "./istio.js";
import { formatJson } from "./json-text.js";
import { darklaunchStatsConfig } from "./stats-config.js";

/** The filter's root_id (contract, section 4); also its vm_id and the WasmPlugin's pluginName. */
export const FILTER_ROOT_ID = "dark_launch";
export const WASM_RUNTIME = "envoy.wasm.runtime.v8";

/** The filter's JSON configuration as Envoy receives it. */
export function filterConfigText(d: Deployment): string {
  return formatJson(d.filter);
}

function wasmPath(d: Deployment, format: string): string {
  if (d.wasm.path !== null) return d.wasm.path;
  if (d.wasm.url?.startsWith("file://")) return new URL(d.wasm.url).pathname;
  throw new CliError(`--format ${format} needs wasm.path: Envoy loads the filter from a local file`, EXIT.failed);
}

/** envoy.extensions.filters.http.wasm.v3.Wasm, with the configuration inline. */
export function wasmFilterConfig(d: Deployment, format: string): Record<string, unknown> {
  return {
    "@type": WASM_FILTER_TYPE,
    config: {
      name: d.name,
      root_id: FILTER_ROOT_ID,
      vm_config: {
        vm_id: FILTER_ROOT_ID,
        runtime: WASM_RUNTIME,
        code: { local: { filename: wasmPath(d, format) } },
      },
      configuration: { "@type": STRING_VALUE_TYPE, value: filterConfigText(d) },
      // A dark launch must never take traffic down: a crashed VM lets requests through unfiltered.
      // `fail_open`, not `failure_policy: FAIL_OPEN`, which in Envoy 1.40 answers 503 to the
      // streams the crashed VM still had (test/faults/failure-policy.test.ts).
      fail_open: true,
    },
  };
}

/** The HCM http_filters entry (place it before envoy.filters.http.router). */
export function envoyHttpFilter(d: Deployment): Record<string, unknown> {
  return { name: "envoy.filters.http.wasm", typed_config: wasmFilterConfig(d, "envoy") };
}

/** The ECDS file's content: one TypedExtensionConfig named after the deployment. */
export function ecdsResponse(d: Deployment): Record<string, unknown> {
  return {
    version_info: "1",
    resources: [{ "@type": TYPED_EXTENSION_CONFIG_TYPE, name: d.name, typed_config: wasmFilterConfig(d, "ecds") }],
  };
}

/** The http_filters entry that takes its configuration from the ECDS file at `ecdsPath`. */
export function ecdsHttpFilter(d: Deployment, ecdsPath: string): Record<string, unknown> {
  return {
    name: d.name,
    config_discovery: {
      config_source: { path_config_source: { path: ecdsPath } },
      type_urls: [WASM_FILTER_TYPE],
    },
  };
}

/** The filter configuration an Istio sidecar gets: cluster names translated (or refused, exit 1). */
export function istioPluginConfig(d: Deployment, source: string): Record<string, unknown> {
  return withIstioClusterNames(d.filter, d.istio.namespace, source);
}

export function istioWasmPlugin(d: Deployment, source: string, image?: PinnedImage): Record<string, unknown> {
  const url = image?.url ?? d.wasm.url;
  if (url === null) throw new CliError("--format istio needs --image REF or wasm.url (oci://, https:// or file://)", EXIT.failed);
  const sha256 = image?.sha256 ?? d.wasm.sha256;
  const spec: Record<string, unknown> = {};
  if (d.istio.selector !== null) spec.selector = d.istio.selector;
  spec.url = url;
  if (sha256 !== null) spec.sha256 = sha256;
  // A tag can move; a pinned digest cannot: pull once per digest.
  if (image !== undefined) spec.imagePullPolicy = "IfNotPresent";
  spec.pluginName = FILTER_ROOT_ID;
  spec.phase = d.istio.phase;
  if (d.istio.priority !== null) spec.priority = d.istio.priority;
  spec.failStrategy = "FAIL_OPEN";
  spec.type = "HTTP";
  spec.pluginConfig = istioPluginConfig(d, source);
  return {
    apiVersion: "extensions.istio.io/v1alpha1",
    kind: "WasmPlugin",
    metadata: { name: d.name, ...(d.istio.namespace !== null ? { namespace: d.istio.namespace } : {}) },
    spec,
  };
}

function yamlText(value: unknown, comment: string, commentAfter?: string): string {
  const doc = new Document(value);
  doc.commentBefore = comment;
  if (commentAfter !== undefined) doc.comment = commentAfter;
  return doc.toString({ lineWidth: 0 });
}

/**
 * The bootstrap's `stats_config` for the filter's stats (labels for Prometheus, latency buckets),
 * as a comment to paste: it belongs to Envoy's bootstrap, not to the filter.
 */
export function statsConfigComment(): string {
  const doc = new Document({ stats_config: darklaunchStatsConfig() });
  for (const path of [
    ["stats_config", "histogram_bucket_settings", 0, "buckets"],
    ["stats_config", "histogram_bucket_settings", 0, "match"],
  ]) {
    const node = doc.getIn(path, true);
    if (isCollection(node)) node.flow = true;
  }
  const block = doc.toString({ lineWidth: 0 }).trimEnd();
  return (
    ` Add this to the Envoy bootstrap (top level) so that /stats/prometheus shows the filter's\n` +
    ` stats as labels (darklaunch_skipped{rule="...",reason="..."}) and its latency buckets:\n` +
    block
      .split("\n")
      .map((l) => ` ${l}`)
      .join("\n")
  );
}

/** The YAML text `render --format <format>` prints. */
export function renderText(d: Deployment, format: "envoy" | "ecds" | "istio", source: string, image?: PinnedImage): string {
  switch (format) {
    case "envoy":
      return yamlText(
        envoyHttpFilter(d),
        ` Rendered by darklaunch from ${source}:\n` +
          ` an entry for the http_connection_manager's http_filters, before envoy.filters.http.router.`,
        statsConfigComment(),
      );
    case "ecds": {
      const subscribe = new Document(ecdsHttpFilter(d, "<path of this file>")).toString({ lineWidth: 0 }).trimEnd();
      return yamlText(
        ecdsResponse(d),
        ` Rendered by darklaunch from ${source}:\n` +
          ` the ECDS file for Envoy's extension config discovery.\n` +
          ` Subscribe to it with this http_filters entry (before envoy.filters.http.router; Envoy\n` +
          ` needs node.id and node.cluster in its bootstrap for file-based discovery):\n` +
          subscribe
            .split("\n")
            .map((l) => `   ${l}`)
            .join("\n") +
          `\n Change it with "darklaunch set" (validated, swapped in atomically).`,
        statsConfigComment(),
      );
    }
    case "istio":
      return yamlText(
        istioWasmPlugin(d, source, image),
        ` Rendered by darklaunch from ${source}: apply with kubectl apply -f.` +
          (image !== undefined ? `\n Image ${image.given}, pinned by its digest.` : "") +
          `\n Guide: docs/istio.md (cluster names, stats, failure strategy, kill switch).`,
      );
  }
}
