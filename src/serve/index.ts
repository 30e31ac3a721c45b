/** The HTTP inference server, as the `kiln/serve` entry point (kept apart so `import 'kiln'` does not load Fastify). */
export { startServer } from './server.js';
export type { ServeOptions } from './options.js';
export type { RunningServer } from './server.js';
