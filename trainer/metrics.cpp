#include "trainer/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace dlaunch::trainer {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string number(double v) {
  if (!std::isfinite(v)) return "null";  // JSON has no NaN/Inf
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

MetricLine& MetricLine::add(const std::string& key, double value) {
  fields_.emplace_back(key, value);
  return *this;
}

MetricLine& MetricLine::add(const std::string& key, long long value) {
  fields_.emplace_back(key, value);
  return *this;
}

MetricLine& MetricLine::add(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, value);
  return *this;
}

std::string MetricLine::to_json() const {
  std::string out = "{";
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (i > 0) out += ", ";
    out += quoted(fields_[i].first) + ": ";
    const auto& v = fields_[i].second;
    if (const auto* d = std::get_if<double>(&v)) {
      out += number(*d);
    } else if (const auto* n = std::get_if<long long>(&v)) {
      out += std::to_string(*n);
    } else {
      out += quoted(std::get<std::string>(v));
    }
  }
  return out + "}";
}

void MetricSink::write(const MetricLine& line) {
  std::string text = line.to_json() + "\n";
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace dlaunch::trainer
