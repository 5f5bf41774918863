#include "trainer/heap_tuning.hpp"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include <doctest/doctest.h>

using dlaunch::trainer::tune_heap_for_training;
using dlaunch::trainer::user_tunes_malloc;

namespace {

auto fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

// Blocks escape through here, so the compiler cannot drop a malloc/free pair.
void* volatile escaped = nullptr;

}  // namespace

TEST_CASE("heap tuning: the user's malloc settings win over dtrain's") {
  CHECK_FALSE(user_tunes_malloc(fake_env({})));
  CHECK_FALSE(user_tunes_malloc(fake_env({{"OMP_NUM_THREADS", "1"}, {"MALLOC_TRIM_THRESHOLD_", ""}})));
  CHECK(user_tunes_malloc(fake_env({{"MALLOC_TRIM_THRESHOLD_", "0"}})));
  CHECK(user_tunes_malloc(fake_env({{"MALLOC_ARENA_MAX", "2"}})));
  CHECK(user_tunes_malloc(fake_env({{"GLIBC_TUNABLES", "glibc.malloc.trim_threshold=0"}})));
}

TEST_CASE("heap tuning: a step's activations are reused, not mapped and given back each time") {
  if (user_tunes_malloc([](const char* name) { return std::getenv(name); })) {
    MESSAGE("malloc is tuned through the environment here: dtrain leaves it alone");
    CHECK_FALSE(tune_heap_for_training());
    return;
  }
  REQUIRE(tune_heap_for_training());
  // An 8 MiB block (a batch's activation) comes from the heap, and freeing it keeps the
  // memory: the next step's block of the same size finds it without growing the heap.
  constexpr std::size_t kBlock = 8u << 20;
  const auto mapped_before = mallinfo2().hblkhd;
  void* first = std::malloc(kBlock);
  REQUIRE(first != nullptr);
  std::memset(first, 1, kBlock);
  escaped = first;
  CHECK(mallinfo2().hblkhd == mapped_before);
  std::free(first);
  const auto heap_after_free = mallinfo2().arena;
  CHECK(heap_after_free >= kBlock);
  void* second = std::malloc(kBlock);
  REQUIRE(second != nullptr);
  escaped = second;
  CHECK(mallinfo2().arena == heap_after_free);
  std::free(second);
}
