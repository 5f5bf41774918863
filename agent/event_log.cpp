#include "agent/event_log.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace dlaunch::agent {
namespace {

// Python's json.dumps with its default separators and ensure_ascii.
void python_json(const nlohmann::ordered_json& value, std::string& out) {
  if (value.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [key, item] : value.items()) {
      if (!first) out += ", ";
      first = false;
      out += nlohmann::ordered_json(key).dump(-1, ' ', true);
      out += ": ";
      python_json(item, out);
    }
    out += '}';
  } else if (value.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& item : value) {
      if (!first) out += ", ";
      first = false;
      python_json(item, out);
    }
    out += ']';
  } else if (value.is_null()) {
    out += "null";
  } else {
    out += value.dump(-1, ' ', true);
  }
}

}  // namespace

std::string to_python_json(const nlohmann::ordered_json& value) {
  std::string out;
  python_json(value, out);
  return out;
}

std::string serialize(const Event& event) {
  nlohmann::ordered_json j;
  j["name"] = event.name;
  j["source"] = event.source;
  j["timestamp"] = event.timestamp;
  j["metadata"] = event.metadata;
  std::string out;
  python_json(j, out);
  return out;
}

Event parse_event(const std::string& line) {
  const auto j = nlohmann::ordered_json::parse(line);
  Event event;
  event.name = j.at("name").get<std::string>();
  event.source = j.at("source").get<std::string>();
  event.timestamp = j.value("timestamp", std::int64_t{0});
  event.metadata = j.value("metadata", nlohmann::ordered_json::object());
  return event;
}

bool EventLog::known_handler(const std::string& handler) {
  return handler == "console" || handler == "null" || handler == "dynamic_rendezvous";
}

EventLog::EventLog(const std::string& handler, const std::filesystem::path& file)
    : console_(handler == "console") {
  if (file.empty()) return;
  file_ = std::fopen(file.c_str(), "ae");
  if (!file_) {
    throw std::runtime_error("cannot open the event log " + file.string() + ": " +
                             std::strerror(errno));
  }
}

EventLog::~EventLog() {
  if (file_) std::fclose(file_);
}

EventLog::EventLog(EventLog&& other) noexcept
    : console_(other.console_),
      file_(std::exchange(other.file_, nullptr)),
      recorded_(other.recorded_) {}

EventLog& EventLog::operator=(EventLog&& other) noexcept {
  if (this != &other) {
    if (file_) std::fclose(file_);
    console_ = other.console_;
    file_ = std::exchange(other.file_, nullptr);
    recorded_ = other.recorded_;
  }
  return *this;
}

void EventLog::record(const Event& event) {
  if (!enabled()) return;
  ++recorded_;
  const std::string line = serialize(event) + "\n";
  // One write per line, flushed: a reader tailing the file (or a killed agent) never sees half.
  if (console_) {
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }
  if (file_) {
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
  }
}

}  // namespace dlaunch::agent
