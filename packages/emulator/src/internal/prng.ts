/** @internal */
export const mix32 = (input: number): number => {
  let x = input | 0
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  x ^= x >>> 16
  return x >>> 0
}

/** FNV-1a of a string, mixed with a seed. @internal */
export const hashString = (s: string, seed: number): number => {
  let h = (0x811c9dc5 ^ mix32(seed)) >>> 0
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return mix32(h)
}

/** A number in [0, 1) that depends only on the seed, the key and the attempt. @internal */
export const draw = (seed: number, key: string, attempt: number, salt = 0): number =>
  mix32(hashString(key, seed) ^ Math.imul(attempt + 1, 0x9e3779b9) ^ Math.imul(salt + 1, 0x85ebca6b)) / 4294967296
