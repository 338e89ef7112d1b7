// Error types shared by the browser-safe core and the Node protocol layer.
// Kept apart from protocol.mjs so that modules which run in a web page can
// throw them without pulling in node:readline.

/**
 * An error the user fixes with tfjs-quant's own options (--outputs, --dim,
 * --inputs): the protocol reply carries "usage": true, and tfjs-quant exits 2
 * rather than 7. In-process callers can test `e.usage` the same way.
 */
export class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UsageError';
    this.usage = true;
  }
}
