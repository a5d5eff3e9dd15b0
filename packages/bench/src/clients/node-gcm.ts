/**
 * node-gcm 1.1.4 (legacy protocol): 1000 tokens a request (the legacy limit), 8 requests in flight (node-gcm has no
 * concurrency of its own: the application runs its sends side by side), its `uri` option pointed at the server.
 */
import { createRequire } from "node:module"
import { job, main } from "../harness.js"
import { DATA, NOTIFICATION } from "../job.js"

interface Sender {
  send(
    message: unknown,
    recipient: { registrationTokens: ReadonlyArray<string> },
    callback: (error: unknown, response: { success: number }) => void
  ): void
}
interface Gcm {
  readonly Sender: new(key: string, options: { uri: string }) => Sender
  readonly Message: new(options: object) => unknown
}

main(async () => {
  const gcm = createRequire(import.meta.url)("node-gcm") as Gcm
  const sender = new gcm.Sender(job.emulator.apiKey, { uri: `${job.emulator.baseUrl}/fcm/send` })
  const message = new gcm.Message({ notification: NOTIFICATION, data: DATA })
  const sendOne = (chunk: ReadonlyArray<string>) =>
    new Promise<number>((resolve, reject) =>
      sender.send(
        message,
        { registrationTokens: chunk },
        (error, response) => error ? reject(error) : resolve(response.success)
      )
    )
  return {
    send: async (batch) => {
      const chunks: Array<ReadonlyArray<string>> = []
      for (let i = 0; i < batch.length; i += 1000) chunks.push(batch.slice(i, i + 1000))
      let delivered = 0
      let next = 0
      const worker = async () => {
        while (next < chunks.length) {
          const success = await sendOne(chunks[next++]!)
          delivered += success
        }
      }
      await Promise.all(Array.from({ length: Math.min(8, chunks.length) }, worker))
      return delivered
    },
    close: async () => {}
  }
})
