/**
 * Whether a process with this pid exists on this machine: the one liveness check of locks and
 * pid files. It cannot tell a reused pid from the process that wrote it; where that matters (a
 * supervised instance), the runtime compares start times (`isSameProcess` in runtime/proc.ts).
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false; // 0 and negatives would signal groups
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
