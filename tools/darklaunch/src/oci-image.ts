// The filter as an OCI image in the *compat* variant of the Wasm image specification that Istio's
// WasmPlugin pulls (solo-io/wasm `spec/spec-compat.md`; Istio's image fetcher reads it as its
// "standard OCI" format): an OCI image manifest with exactly one layer of media type
// `application/vnd.oci.image.layer.v1.tar+gzip` holding `plugin.wasm` (the module, byte for byte)
// and `runtime-config.json` (the root_id), and the manifest annotation
// `module.wasm.image/variant: compat`. Standard media types only, so every registry accepts it and
// standard tools (crane, docker, podman, skopeo) copy it. Why this variant: docs/istio.md.
//
// Pure functions over bytes; the result is written as an OCI image layout directory (oci-layout,
// index.json, blobs/sha256/...), which `crane push DIR REF` pushes as it is. Nothing depends on
// the clock: the same .wasm gives the same digests.

import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";

export const OCI_MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX_TYPE = "application/vnd.oci.image.index.v1+json";
export const OCI_CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
export const OCI_LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";
/** The annotation that marks a compat-variant Wasm image with an OCI layer (spec-compat.md). */
export const WASM_VARIANT_ANNOTATION = "module.wasm.image/variant";
/** The file Istio looks for in the layer. */
export const PLUGIN_FILE = "plugin.wasm";
export const RUNTIME_CONFIG_FILE = "runtime-config.json";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface WasmImage {
  /** Every blob by digest ("sha256:<hex>"): the config, the layer and the manifest. */
  blobs: Map<string, Buffer>;
  manifest: Buffer;
  /** "sha256:<hex>" of the manifest: what a registry reports as the image digest. */
  manifestDigest: string;
  layerDigest: string;
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function descriptor(mediaType: string, bytes: Buffer): Descriptor {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length };
}

// ---- a minimal ustar writer: regular files only, fixed owner and time -------------------------

const BLOCK = 512;

function octal(value: number, width: number): string {
  // width - 1 octal digits and a NUL, as POSIX ustar writes numeric fields.
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function tarHeader(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: name too long: ${name}`);
  const header = Buffer.alloc(BLOCK, 0);
  header.write(name, 0, "utf8");
  header.write(octal(0o644, 8), 100, "ascii"); // mode
  header.write(octal(0, 8), 108, "ascii"); // uid
  header.write(octal(0, 8), 116, "ascii"); // gid
  header.write(octal(size, 12), 124, "ascii");
  header.write(octal(0, 12), 136, "ascii"); // mtime: the epoch, for reproducible digests
  header.write("        ", 148, "ascii"); // checksum field counts as spaces while summing
  header.write("0", 156, "ascii"); // regular file
  header.write("ustar\0", 257, "ascii");
  header.write("00", 263, "ascii");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return header;
}

/** A tar archive of `files` (name → content), in the given order. */
export function tarArchive(files: Array<[string, Buffer]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of files) {
    parts.push(tarHeader(name, content.length), content);
    const pad = (BLOCK - (content.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(2 * BLOCK, 0)); // end of archive
  return Buffer.concat(parts);
}

/** Files of a tar archive made by tarArchive (or any ustar of regular files). */
export function tarEntries(archive: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let at = 0; at + BLOCK <= archive.length; ) {
    const header = archive.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(header.subarray(124, 136).toString("ascii").replace(/\0.*$/s, "").trim(), 8);
    at += BLOCK;
    out.set(name, archive.subarray(at, at + size));
    at += Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}

// ---- the image ----------------------------------------------------------------------------------

export interface WasmImageOptions {
  /** The filter's root_id, recorded in runtime-config.json. */
  rootId: string;
  /** org.opencontainers.image.version of the manifest, e.g. the project's version. */
  version?: string;
  /** org.opencontainers.image.title; default "dark-launch". */
  title?: string;
}

/** The compat-variant image of a Wasm module. */
export function buildWasmImage(wasm: Buffer, options: WasmImageOptions): WasmImage {
  // runtime-config.json as the Wasm image specification describes it for Envoy filters.
  const runtimeConfig = Buffer.from(
    `${JSON.stringify({ type: "envoy_proxy", abiVersions: ["v0.2.1"], config: { root_ids: [options.rootId] } })}\n`,
  );
  const tar = tarArchive([
    [PLUGIN_FILE, wasm],
    [RUNTIME_CONFIG_FILE, runtimeConfig],
  ]);
  const layer = gzipSync(tar, { level: 9 }); // Node writes gzip's mtime field as 0
  const config = Buffer.from(
    JSON.stringify({
      architecture: "wasm",
      os: "wasip1",
      config: {},
      rootfs: { type: "layers", diff_ids: [sha256Digest(tar)] },
    }),
  );
  const annotations: Record<string, string> = {
    [WASM_VARIANT_ANNOTATION]: "compat",
    "org.opencontainers.image.title": options.title ?? "dark-launch",
  };
  if (options.version !== undefined) annotations["org.opencontainers.image.version"] = options.version;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_TYPE,
      config: descriptor(OCI_CONFIG_TYPE, config),
      layers: [descriptor(OCI_LAYER_TYPE, layer)],
      annotations,
    }),
  );
  const blobs = new Map<string, Buffer>();
  for (const blob of [config, layer, manifest]) blobs.set(sha256Digest(blob), blob);
  return { blobs, manifest, manifestDigest: sha256Digest(manifest), layerDigest: sha256Digest(layer) };
}

/** Writes the image as an OCI image layout directory (replacing `dir`). */
export function writeImageLayout(image: WasmImage, dir: string, refName?: string): void {
  rmSync(dir, { recursive: true, force: true });
  const blobDir = join(dir, "blobs", "sha256");
  mkdirSync(blobDir, { recursive: true });
  for (const [digest, bytes] of image.blobs) writeFileSync(join(blobDir, digest.slice("sha256:".length)), bytes);
  writeFileSync(join(dir, "oci-layout"), `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}\n`);
  const manifestDescriptor: Descriptor = descriptor(OCI_MANIFEST_TYPE, image.manifest);
  if (refName !== undefined) manifestDescriptor.annotations = { "org.opencontainers.image.ref.name": refName };
  writeFileSync(
    join(dir, "index.json"),
    `${JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX_TYPE, manifests: [manifestDescriptor] })}\n`,
  );
}

/**
 * What Istio's image fetcher does with a compat-variant OCI image: the manifest's last layer must
 * be a gzipped tar layer, and plugin.wasm in it is the module. Returns the module, or throws
 * saying why the image does not qualify. (The check the round-trip test runs on what it pulls.)
 */
export function wasmFromCompatImage(manifest: Buffer, blob: (digest: string) => Buffer): Buffer {
  const doc = JSON.parse(manifest.toString("utf8")) as { mediaType?: string; layers?: Descriptor[]; annotations?: Record<string, string> };
  if (doc.mediaType !== OCI_MANIFEST_TYPE) throw new Error(`manifest media type ${doc.mediaType ?? "(none)"}, want ${OCI_MANIFEST_TYPE}`);
  if (doc.annotations?.[WASM_VARIANT_ANNOTATION] !== "compat") throw new Error(`no ${WASM_VARIANT_ANNOTATION}: compat annotation`);
  const layers = doc.layers ?? [];
  if (layers.length !== 1) throw new Error(`${layers.length} layers; the compat variant has exactly one`);
  const layer = layers[0]!;
  if (layer.mediaType !== OCI_LAYER_TYPE) throw new Error(`layer media type ${layer.mediaType}, want ${OCI_LAYER_TYPE}`);
  const bytes = blob(layer.digest);
  if (sha256Digest(bytes) !== layer.digest) throw new Error(`layer ${layer.digest}: content does not match its digest`);
  const wasm = tarEntries(gunzipSync(bytes)).get(PLUGIN_FILE);
  if (wasm === undefined) throw new Error(`no ${PLUGIN_FILE} in the layer`);
  return Buffer.from(wasm);
}
