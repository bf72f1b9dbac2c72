// The request headers the filter decides on the dark copy itself (contract §2.1 "The copy";
// docs/behaviour-decisions.md), each with the reason: copy.ts never takes them over from the
// primary's request, and config_parse.ts refuses them in `dark.set_headers`. The one exception on
// the copy is `te`: `te: trailers` is kept (gRPC requires it), any other `te` value is dropped.
// Written in the subset of TypeScript that is also AssemblyScript: the docs test checks the
// configuration reference against this same list.

/** The marker the filter sets on every copy to the rule's name (a client-sent value never passes). */
export const DARK_LAUNCH_HEADER: string = "x-dark-launch";
/** Hop-by-hop, but kept on the copy when its value is exactly `trailers`. */
export const TE_HEADER: string = "te";
/** Re-added to the copy from the length of its body. */
export const CONTENT_LENGTH_HEADER: string = "content-length";

export class ManagedHeader {
  constructor(
    /** Lower-case. */
    readonly name: string,
    /** Why the filter decides it, as said in a refusal: `<name> is managed by the filter on the copy (<reason>)`. */
    readonly reason: string,
  ) {}
}

const HOP_BY_HOP = "hop-by-hop";

export const MANAGED_HEADERS: ManagedHeader[] = [
  new ManagedHeader("connection", HOP_BY_HOP),
  new ManagedHeader("keep-alive", HOP_BY_HOP),
  new ManagedHeader("proxy-connection", HOP_BY_HOP),
  new ManagedHeader("transfer-encoding", HOP_BY_HOP),
  new ManagedHeader(TE_HEADER, "hop-by-hop; only te: trailers is kept"),
  new ManagedHeader("trailer", HOP_BY_HOP),
  new ManagedHeader("upgrade", HOP_BY_HOP),
  new ManagedHeader("proxy-authenticate", HOP_BY_HOP),
  new ManagedHeader("proxy-authorization", HOP_BY_HOP),
  new ManagedHeader(CONTENT_LENGTH_HEADER, "set from the copy's body"),
  new ManagedHeader("host", "the copy's host is its :authority, set by dark.authority"),
  new ManagedHeader(DARK_LAUNCH_HEADER, "set to the rule's name"),
];

/** The entry for `name` (lower-case), or null if the filter leaves that header to the copy's rules. */
export function managedHeader(name: string): ManagedHeader | null {
  for (let i = 0; i < MANAGED_HEADERS.length; i++) {
    const h = MANAGED_HEADERS[i];
    if (h.name == name) return h;
  }
  return null;
}
