/**
 * firebase-admin 13: `sendEachForMulticast` in batches of 500 (its limit), one call after the other, as its
 * documentation shows. Google's hosts are routed to the emulator by `route.cjs`.
 */
import { cert, deleteApp, initializeApp } from "firebase-admin/app"
import { getMessaging } from "firebase-admin/messaging"
import { job, main } from "../harness.js"
import { DATA, NOTIFICATION } from "../job.js"

main(async () => {
  const app = initializeApp({ credential: cert(job.emulator.keyPath), projectId: job.emulator.projectId })
  const messaging = getMessaging(app)
  return {
    send: async (batch) => {
      let delivered = 0
      for (let i = 0; i < batch.length; i += 500) {
        const response = await messaging.sendEachForMulticast({
          tokens: batch.slice(i, i + 500),
          notification: NOTIFICATION,
          data: DATA
        })
        delivered += response.successCount
        if (delivered === 0) throw response.responses.find((r) => !r.success)?.error
      }
      return delivered
    },
    close: () => deleteApp(app)
  }
})
