/** A bounded ring buffer. @internal */
export class Ring<A> {
  private items: Array<A | undefined>
  private start = 0
  private length = 0
  constructor(readonly capacity: number) {
    this.items = new Array(Math.max(0, capacity))
  }
  push(item: A): void {
    if (this.capacity <= 0) return
    if (this.length < this.capacity) {
      this.items[(this.start + this.length) % this.capacity] = item
      this.length++
    } else {
      this.items[this.start] = item
      this.start = (this.start + 1) % this.capacity
    }
  }
  toArray(): Array<A> {
    const out: Array<A> = new Array(this.length)
    for (let i = 0; i < this.length; i++) {
      out[i] = this.items[(this.start + i) % this.capacity] as A
    }
    return out
  }
  clear(): void {
    this.items = new Array(Math.max(0, this.capacity))
    this.start = 0
    this.length = 0
  }
  get size(): number {
    return this.length
  }
}
