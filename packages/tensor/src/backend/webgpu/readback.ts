import type { CommandQueue } from './command-queue';
import { USAGE } from './usage';

/**
 * Read `byteLength` bytes (a multiple of 4) of `buffer` from `byteOffset`: the copy into a
 * MAP_READ buffer is recorded after every pending command, everything is submitted as one
 * submission, and the mapping is awaited. The only place the host waits for the GPU.
 */
export async function readBuffer(device: GPUDevice, queue: CommandQueue, buffer: GPUBuffer, byteOffset: number, byteLength: number): Promise<ArrayBuffer> {
  if (byteLength === 0) return new ArrayBuffer(0);
  const staging = device.createBuffer({ label: 'aimodel readback', size: byteLength, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  try {
    queue.copy(buffer, byteOffset, staging, 0, byteLength);
    queue.countRead(byteLength);
    queue.submit();
    await staging.mapAsync(1 /* GPUMapMode.READ */);
    return staging.getMappedRange().slice(0);
  } finally {
    staging.destroy();
  }
}
