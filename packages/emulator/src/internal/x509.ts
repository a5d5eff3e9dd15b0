import * as crypto from "node:crypto"
import * as net from "node:net"

const length = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n])
  const bytes: Array<number> = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

const tlv = (tag: number, content: Buffer): Buffer =>
  Buffer.concat([Buffer.from([tag]), length(content.length), content])

const sequence = (...items: ReadonlyArray<Buffer>): Buffer => tlv(0x30, Buffer.concat(items))
const set = (...items: ReadonlyArray<Buffer>): Buffer => tlv(0x31, Buffer.concat(items))
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content)
const octetString = (content: Buffer): Buffer => tlv(0x04, content)
const bitString = (content: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), content]))
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, "utf8"))
const boolean = (b: boolean): Buffer => tlv(0x01, Buffer.from([b ? 0xff : 0]))

const integer = (bytes: Buffer): Buffer => {
  let i = 0
  while (i < bytes.length - 1 && bytes[i] === 0) i++
  const b = bytes.subarray(i)
  return tlv(0x02, (b[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), b]) : b)
}

const oid = (dotted: string): Buffer => {
  const parts = dotted.split(".").map(Number)
  const out: Array<number> = [parts[0]! * 40 + parts[1]!]
  for (const p of parts.slice(2)) {
    const chunk: Array<number> = [p & 0x7f]
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80)
    out.push(...chunk)
  }
  return tlv(0x06, Buffer.from(out))
}

const time = (d: Date): Buffer => {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z"
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(iso.slice(2), "ascii"))
    : tlv(0x18, Buffer.from(iso, "ascii"))
}

const ECDSA_SHA256 = sequence(oid("1.2.840.10045.4.3.2"))

const name = (commonName: string): Buffer =>
  sequence(set(sequence(oid("2.5.4.3"), utf8(commonName))), set(sequence(oid("2.5.4.10"), utf8("FCM Emulator"))))

const ipBytes = (ip: string): Buffer => {
  if (net.isIPv4(ip)) return Buffer.from(ip.split(".").map(Number))
  const [head = "", tail = ""] = ip.split("::")
  const h = head === "" ? [] : head.split(":")
  const t = tail === "" ? [] : tail.split(":")
  const groups = ip.includes("::") ? [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t] : h
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
  return out
}

/** @internal */
export interface Certificate {
  readonly keyPem: string
  readonly certPem: string
}

/**
 * A self-signed certificate (ECDSA P-256, SHA-256) for the given host names
 * and IP addresses, valid from a day ago for a year.
 *
 * @internal
 */
export const selfSigned = (options: {
  readonly commonName: string
  readonly dnsNames: ReadonlyArray<string>
  readonly ips: ReadonlyArray<string>
}): Certificate => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
  const spki = publicKey.export({ type: "spki", format: "der" })
  const subjectKey = crypto.createHash("sha1").update(spki.subarray(spki.length - 65)).digest()
  const now = Date.now()
  const altNames = Buffer.concat([
    ...options.dnsNames.map((d) => tlv(0x82, Buffer.from(d, "ascii"))),
    ...options.ips.map((ip) => tlv(0x87, ipBytes(ip)))
  ])
  const extensions = sequence(
    sequence(oid("2.5.29.19"), boolean(true), octetString(sequence(boolean(true)))),
    sequence(oid("2.5.29.15"), boolean(true), octetString(tlv(0x03, Buffer.from([0x02, 0x84])))),
    sequence(oid("2.5.29.37"), octetString(sequence(oid("1.3.6.1.5.5.7.3.1")))),
    sequence(oid("2.5.29.14"), octetString(octetString(subjectKey))),
    sequence(oid("2.5.29.17"), octetString(tlv(0x30, altNames)))
  )
  const serial = crypto.randomBytes(16)
  serial[0] = serial[0]! & 0x7f
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name(options.commonName),
    sequence(time(new Date(now - 86_400_000)), time(new Date(now + 365 * 86_400_000))),
    name(options.commonName),
    spki,
    explicit(3, extensions)
  )
  const signature = crypto.sign("sha256", tbs, privateKey)
  const der = sequence(tbs, ECDSA_SHA256, bitString(signature))
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")
  return {
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`
  }
}
