#pragma once
// The nice value of the calling thread. On Linux it is per thread (setpriority on the thread's
// id), so bulk work (renders, file copies, rewriting media-data.json) can yield the CPU to the
// request path (HTTP workers, connection loops, CAF's scheduler) without touching it.

namespace mediagen {

/// Raises the calling thread's nice value to `niceness` (0..19); never lowers it, so a process
/// started nicer stays so. Does nothing when `niceness` <= 0.
void lower_this_thread_priority(int niceness);

/// The calling thread's nice value.
int this_thread_nice();

} // namespace mediagen
