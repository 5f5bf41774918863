#include "launcher/std_spec.hpp"

#include <doctest/doctest.h>

#include "launcher/usage_error.hpp"

using dlaunch::launcher::parse_std_spec;
using dlaunch::launcher::StdSpec;
using dlaunch::launcher::UsageError;

TEST_CASE("std spec: one digit applies to every local rank") {
  for (int choice = 0; choice <= 3; ++choice) {
    const auto spec = parse_std_spec(std::to_string(choice), "--tee");
    CHECK(spec.all == choice);
    CHECK(spec.per_rank.empty());
    CHECK(spec.for_local_rank(0) == choice);
    CHECK(spec.for_local_rank(17) == choice);
  }
}

TEST_CASE("std spec: a per-rank map leaves unnamed ranks at 0") {
  const auto spec = parse_std_spec("0:1,1:2,12:3", "-r");
  CHECK(spec.all == StdSpec::kNone);
  CHECK(spec.for_local_rank(0) == StdSpec::kStdout);
  CHECK(spec.for_local_rank(1) == StdSpec::kStderr);
  CHECK(spec.for_local_rank(12) == StdSpec::kBoth);
  CHECK(spec.for_local_rank(2) == StdSpec::kNone);
}

TEST_CASE("std spec: bad text is a UsageError naming where it came from") {
  for (const char* bad : {"", "4", "-1", "01", "3 ", "a", "0:4", "0:", ":1", "a:1", "-1:1", "0:1,",
                          ",0:1", "0:1;1:2", "0:1:2", "0:1,0:2", "0=1"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_std_spec(bad, "PET_REDIRECTS"), doctest::Contains("PET_REDIRECTS"),
                         UsageError);
  }
  CHECK_THROWS_WITH_AS(parse_std_spec("0:1,0:2", "--tee"), doctest::Contains("twice"), UsageError);
}
