/**
 * `GPUBufferUsage` flags by value: the global exists only once a WebGPU implementation is loaded
 * (in Node, after Dawn's module), and these files are imported before that.
 */
export const USAGE = { MAP_READ: 0x01, COPY_SRC: 0x04, COPY_DST: 0x08, STORAGE: 0x80, QUERY_RESOLVE: 0x200 } as const;
