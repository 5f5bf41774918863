#pragma once
// Metric lines: one JSON object per line, written whole and flushed, so a launcher that
// tags and captures stdout line by line (dlaunch, torchrun, Azure ML) keeps each record
// intact. Only rank 0 writes global figures. No LibTorch, no JSON library: values are
// numbers and short strings.

#include <cstdio>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace dlaunch::trainer {

class MetricLine {
 public:
  MetricLine& add(const std::string& key, double value);
  MetricLine& add(const std::string& key, long long value);
  MetricLine& add(const std::string& key, int value) { return add(key, static_cast<long long>(value)); }
  MetricLine& add(const std::string& key, const std::string& value);

  // {"k": v, ...} without a newline.
  std::string to_json() const;

 private:
  std::vector<std::pair<std::string, std::variant<double, long long, std::string>>> fields_;
};

// Writes lines to a FILE (stdout in dtrain); thread-compatible, one writer.
class MetricSink {
 public:
  explicit MetricSink(std::FILE* out) : out_(out) {}
  void write(const MetricLine& line);

 private:
  std::FILE* out_;
};

}  // namespace dlaunch::trainer
