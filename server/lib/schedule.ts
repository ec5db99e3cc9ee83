// The timer of a lifecycle job: a pass every interval, never two passes of one job at once (a tick
// that finds the previous pass still running is skipped), and stop() waits for the pass in flight.
// Which instance runs a pass on a shared PostgreSQL database is the job's own business (withJobLock).
export class Schedule {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<unknown> | undefined

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** 0 or less: never (tests drive passes themselves). */
  start(intervalMs: number) {
    if (intervalMs <= 0 || this.timer) return
    this.timer = setInterval(() => {
      if (this.running) return
      this.running = this.pass().catch(this.onError).finally(() => { this.running = undefined })
    }, intervalMs)
    this.timer.unref()
  }

  async stop() {
    clearInterval(this.timer)
    this.timer = undefined
    await this.running
  }
}
