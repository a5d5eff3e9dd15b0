/**
 * Small helpers for reading request bodies as JSON: is it an object, and a value as it would be quoted in an error.
 *
 * @internal
 */

/** A JSON object (not an array, not null). @internal */
export const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** A value as JSON text, for an error message. @internal */
export const show = (u: unknown): string => {
  try {
    return JSON.stringify(u) ?? String(u)
  } catch {
    return String(u)
  }
}
