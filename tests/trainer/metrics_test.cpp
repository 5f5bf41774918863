#include "trainer/metrics.hpp"

#include <doctest/doctest.h>

#include <cmath>

namespace tr = dlaunch::trainer;

TEST_CASE("metrics: one JSON object per line, numbers and escaped strings") {
  tr::MetricLine line;
  line.add("epoch", 3).add("val_acc", 0.9125).add("note", std::string("a \"b\"\n")).add("bad", std::nan(""));
  CHECK(line.to_json() ==
        "{\"epoch\": 3, \"val_acc\": 0.9125, \"note\": \"a \\\"b\\\"\\u000a\", \"bad\": null}");

  std::FILE* f = std::tmpfile();
  tr::MetricSink sink(f);
  sink.write(tr::MetricLine().add("lr", 0.001).add("momentum", 0.9));
  std::rewind(f);
  char buf[128] = {};
  CHECK(std::fgets(buf, sizeof buf, f) != nullptr);
  CHECK(std::string(buf) == "{\"lr\": 0.001, \"momentum\": 0.9}\n");
  std::fclose(f);
}
