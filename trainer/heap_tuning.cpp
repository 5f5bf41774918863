#include "trainer/heap_tuning.hpp"

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace dlaunch::trainer {

bool user_tunes_malloc(const std::function<const char*(const char*)>& get_env) {
  static constexpr const char* kVariables[] = {
      "GLIBC_TUNABLES",       "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
      "MALLOC_TOP_PAD_",      "MALLOC_MMAP_MAX_",       "MALLOC_ARENA_MAX",
      "MALLOC_ARENA_TEST",    "MALLOC_PERTURB_",        "MALLOC_CHECK_"};
  for (const char* name : kVariables) {
    const char* value = get_env(name);
    if (value != nullptr && *value != '\0') return true;
  }
  return false;
}

bool tune_heap_for_training() {
#if defined(__GLIBC__)
  if (user_tunes_malloc([](const char* name) { return std::getenv(name); })) return false;
  // Setting either threshold turns off glibc's own adjustment of both, so all three go
  // together: the mmap threshold alone (trim stays at 128 KiB) or the trim threshold alone
  // (every block over 128 KiB mmapped) are each slower than the defaults.
  return mallopt(M_MMAP_THRESHOLD, kTrainingHeap.mmap_threshold) == 1 &&
         mallopt(M_TRIM_THRESHOLD, kTrainingHeap.trim_threshold) == 1 &&
         mallopt(M_TOP_PAD, kTrainingHeap.top_pad) == 1;
#else
  return false;
#endif
}

}  // namespace dlaunch::trainer
