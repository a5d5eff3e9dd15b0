/**
 * Finding the first repeated token of a multicast, which is refused before anything is sent. A message can carry
 * hundreds of thousands of tokens of ~150 characters, each checked on every send: a `Set` of them hashes every
 * character of every token and grows by copying, about a quarter of a legacy send's CPU. Here the tokens' indices go
 * into one preallocated table, by a hash of each token's length and its first and last 16 characters (where
 * registration tokens differ), and equal hashes are compared as strings, so the answer is exact. Tokens that share
 * those characters would make long runs in the table: past a bound the search starts over with a `Map`, so no input
 * costs more than that.
 *
 * @internal
 */

/** Characters hashed at each end of a token. */
const ENDS = 16
/** The longest run of occupied slots searched before the table is given up for a `Map`. */
const MAX_PROBES = 32

const hashOf = (token: string): number => {
  const n = token.length
  const ends = n < ENDS ? n : ENDS
  let h = n ^ 0x811c9dc5
  for (let i = 0; i < ends; i++) h = Math.imul(h ^ token.charCodeAt(i), 0x01000193)
  for (let i = n - ends; i < n; i++) h = Math.imul(h ^ token.charCodeAt(i), 0x01000193)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  return h ^ (h >>> 12)
}

const withMap = (tokens: ReadonlyArray<string>): readonly [number, number] | undefined => {
  const seen = new Map<string, number>()
  for (let i = 0; i < tokens.length; i++) {
    const first = seen.get(tokens[i]!)
    if (first !== undefined) return [i, first]
    seen.set(tokens[i]!, i)
  }
  return undefined
}

/**
 * The index of the first token equal to an earlier one, with the index of that earlier one, or `undefined` when
 * the tokens are distinct.
 *
 * @internal
 */
export const firstDuplicate = (tokens: ReadonlyArray<string>): readonly [number, number] | undefined => {
  const n = tokens.length
  if (n < 2) return undefined
  let bits = 1
  while (1 << bits < 2 * n) bits++
  const mask = (1 << bits) - 1
  // slot → index + 1 of the token in it, 0 when free
  const table = new Int32Array(1 << bits)
  for (let i = 0; i < n; i++) {
    const token = tokens[i]!
    let slot = hashOf(token) & mask
    for (let probes = 0;; probes++) {
      const held = table[slot]!
      if (held === 0) {
        table[slot] = i + 1
        break
      }
      if (tokens[held - 1] === token) return [i, held - 1]
      if (probes === MAX_PROBES) return withMap(tokens)
      slot = (slot + 1) & mask
    }
  }
  return undefined
}
