// Sample documents for the collector tests, shaped as the filter sends them (docs/samples.md):
// builders, and a realistic set of three rules whose differences are known exactly.

import type { NoiseResponse, SampleDocument, SampleResponse } from "../../tools/darklaunch/src/samples/document.js";

/** A response with a JSON body (objects are serialised) or a text body (strings as they are). */
export function response(body: unknown, over: Partial<SampleResponse> = {}): SampleResponse {
  return {
    status: 200,
    grpc_status: null,
    headers: { "content-type": typeof body === "string" ? "text/plain" : "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    body_base64: false,
    truncated: false,
    redacted: false,
    ...over,
  };
}

export function noiseResponse(
  body: unknown,
  part: NoiseResponse["part"],
  paths: string[],
  over: Partial<SampleResponse> = {},
): NoiseResponse {
  return { ...response(body, over), part, paths };
}

let counter = 0;

/** A body mismatch of rule `rule` at `paths`, with generic bodies; override anything. */
export function sampleDoc(over: Partial<SampleDocument> = {}): SampleDocument {
  counter++;
  return {
    version: 1,
    rule: "checkout",
    time: new Date(Date.UTC(2026, 10, 26, 9, 0, 0) + counter * 1000).toISOString(),
    x_request_id: `req-${process.pid}-${counter}`,
    method: "GET",
    path: "/api/checkout/cart",
    part: "body",
    paths: ["total"],
    primary: response({ total: "10.00" }),
    dark: response({ total: "10.50" }),
    noise: null,
    ...over,
  };
}

// ---------------------------------------------------------------------------------------------
// A realistic set: three rules, every difference known.
//
// catalog (noise cluster), 40 samples, all part body:
//   meta.generated_at  differs dark 40, noise 38 (2 noise calls incomplete)      → noise (Diffy)
//   items[*].etag      differs dark 20 (items[0..2] in turn), noise 19            → noise (Diffy)
//   items[*].price     differs dark 10 (items[1]), noise 0                         → real
// checkout (no noise), 24 samples, all part body:
//   meta.request_id    differs in all 24 (random per response)   → suggested: nearly every pair
//   total              differs in 6
// search (no noise), 7 samples, text bodies:
//   (status) 4: 502 from the dark side; (body) 2: another HTML page; (headers) 1: content-type

const SKUS = ["A-100", "B-220", "C-310"];

function catalogBody(i: number, variant: "primary" | "dark" | "noise"): unknown {
  const stamp = new Date(
    Date.UTC(2026, 10, 26, 9, 30, 0) + i * 1000 + (variant === "primary" ? 0 : variant === "dark" ? 7 : 13),
  ).toISOString();
  const etagChanged = i % 2 === 0 ? i % 3 : -1; // which item's etag differs from the primary's
  return {
    items: SKUS.map((sku, k) => ({
      sku,
      name: ["Trail shoe", "Rain jacket", "Wool socks"][k],
      price: variant === "dark" && i % 4 === 0 && k === 1 ? "84.90" : ["129.00", "89.00", "12.50"][k],
      etag: variant !== "primary" && k === etagChanged ? `W/"${sku}-${i}-${variant}"` : `W/"${sku}-${i}"`,
    })),
    meta: { generated_at: stamp, version: "2026.11.3" },
  };
}

function catalogSample(i: number): SampleDocument {
  const etagIndex = i % 3;
  const darkPaths = ["meta.generated_at"];
  const noisePaths = ["meta.generated_at"];
  if (i % 2 === 0) {
    darkPaths.push(`items[${etagIndex}].etag`);
    noisePaths.push(`items[${etagIndex}].etag`);
  }
  if (i % 4 === 0) darkPaths.push("items[1].price");
  const incomplete = i === 5 || i === 38;
  return sampleDoc({
    rule: "catalog",
    x_request_id: `catalog-${String(i).padStart(3, "0")}`,
    path: `/api/catalog/${["shoes", "jackets", "socks"][i % 3]}`,
    part: "body",
    paths: darkPaths,
    primary: response(catalogBody(i, "primary")),
    dark: response(catalogBody(i, "dark")),
    noise: incomplete ? { part: "incomplete" } : noiseResponse(catalogBody(i, "noise"), "body", noisePaths),
  });
}

function checkoutSample(i: number): SampleDocument {
  const totalDiffers = i % 4 === 0;
  const body = (side: string) => ({
    cart: { lines: [{ sku: "B-220", qty: 1 + (i % 3) }] },
    total: side === "dark" && totalDiffers ? "91.80" : "89.00",
    currency: "EUR",
    meta: { request_id: `${side}-${i}-${(i * 7919) % 10007}` },
  });
  return sampleDoc({
    rule: "checkout",
    x_request_id: `checkout-${String(i).padStart(3, "0")}`,
    path: "/api/checkout/cart",
    part: "body",
    paths: totalDiffers ? ["meta.request_id", "total"] : ["meta.request_id"],
    primary: response(body("primary")),
    dark: response(body("dark")),
  });
}

function searchSample(i: number): SampleDocument {
  const page = (query: string, results: string[]) =>
    `<!doctype html>\n<title>Search: ${query}</title>\n<h1>${results.length} results</h1>\n<ul>\n${results.map((r) => `  <li>${r}</li>`).join("\n")}\n</ul>\n`;
  const html = { "content-type": "text/html; charset=utf-8" };
  const primary = response(page("shoes", ["Trail shoe", "Road shoe", "Hiking boot"]), { headers: html });
  if (i < 4) {
    return sampleDoc({
      rule: "search",
      x_request_id: `search-${i}`,
      path: "/search",
      part: "status",
      paths: [],
      primary,
      dark: response("upstream connect error or disconnect/reset before headers. reset reason: connection termination", { status: 502 }),
    });
  }
  if (i < 6) {
    return sampleDoc({
      rule: "search",
      x_request_id: `search-${i}`,
      path: "/search",
      part: "body",
      paths: [],
      primary,
      dark: response(page("shoes", ["Trail shoe", "Hiking boot", "Road shoe", "Sandal"]), { headers: html }),
    });
  }
  return sampleDoc({
    rule: "search",
    x_request_id: `search-${i}`,
    path: "/search",
    part: "headers",
    paths: [],
    primary,
    dark: response(primary.body, { headers: { "content-type": "text/html" } }),
  });
}

/** The realistic set, in the order a filter could have sent it (rules interleaved). */
export function realisticSamples(): SampleDocument[] {
  const out: SampleDocument[] = [];
  for (let i = 0; i < 40; i++) {
    out.push(catalogSample(i));
    if (i < 24) out.push(checkoutSample(i));
    if (i < 7) out.push(searchSample(i));
  }
  return out;
}
