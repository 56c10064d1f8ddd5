// The part of cli-progress (3.x, no bundled types) that hearth-cli uses.
declare module 'cli-progress' {
  interface BarOptions {
    format?: string
    stream?: NodeJS.WritableStream
    hideCursor?: boolean
    noTTYOutput?: boolean
  }
  export class SingleBar {
    constructor(options: BarOptions, preset?: object)
    start(total: number, start: number, payload?: Record<string, unknown>): void
    update(value: number, payload?: Record<string, unknown>): void
    stop(): void
  }
  export const Presets: { shades_classic: object }
  const cliProgress: { SingleBar: typeof SingleBar; Presets: typeof Presets }
  export default cliProgress
}
