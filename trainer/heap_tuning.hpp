#pragma once
// Heap settings for a training loop. Every step allocates and frees the same activations
// (megabytes each). With glibc's defaults the freed top of the heap is handed back to the
// kernel as soon as it exceeds the trim threshold (twice the largest block freed so far),
// so the next step faults the same pages in again and the kernel zeroes them: a fifth of
// dtrain's CPU time on Fashion-MNIST went to page faults. tune_heap_for_training() keeps
// freed memory for reuse instead. No LibTorch here.

#include <functional>

namespace dlaunch::trainer {

struct HeapSettings {
  int mmap_threshold;  // blocks up to this size come from the heap, not their own mmap
  int trim_threshold;  // free heap top kept before any is given back
  int top_pad;         // extra grown each time the heap grows
};

// 32 MiB is the largest mmap threshold glibc accepts; the rest are generous for a job that
// owns its machine and cheap for one that does not (untouched pages cost nothing).
inline constexpr HeapSettings kTrainingHeap{32 << 20, 512 << 20, 64 << 20};

// True when the user tunes malloc through the environment (any MALLOC_*_ variable glibc
// reads, or GLIBC_TUNABLES): their settings win and dtrain changes nothing.
bool user_tunes_malloc(const std::function<const char*(const char*)>& get_env);

// Applies kTrainingHeap with mallopt unless the user tunes malloc or the C library is not
// glibc. Returns whether the settings were applied.
bool tune_heap_for_training();

}  // namespace dlaunch::trainer
