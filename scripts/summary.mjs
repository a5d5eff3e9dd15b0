// Prints the test run's totals as one plain line, "N passed, N failed[, N skipped]", from vitest's JSON report.
import { readFileSync } from "node:fs"

const report = JSON.parse(readFileSync(process.argv[2], "utf8"))
const skipped = report.numPendingTests + report.numTodoTests
const tail = skipped > 0 ? `, ${skipped} skipped` : ""
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed${tail}`)
process.exit(report.numTotalTests > 0 && report.numFailedTests === 0 && report.success ? 0 : 1)
