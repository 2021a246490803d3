/** Thrown from an action for bad input: one line on stderr, exit 2. */
export class UsageError extends Error {}
